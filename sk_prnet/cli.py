"""The ``sk-prnet`` command line."""

import argparse
import os
import sys

__all__ = ["main"]


def _subjects(text):
    """Parse ``"1-32"``, ``"1,3,5-7"`` (or several such words) into a sorted list of ints."""
    out = set()
    for part in str(text).replace(",", " ").split():
        lo, sep, hi = part.partition("-")
        try:
            ids = range(int(lo), int(hi) + 1) if sep else [int(lo)]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid subject list {text!r}: use e.g. 1-32 or 1,3,5-7"
            ) from None
        out.update(ids)
    return sorted(out)


def _cutoff(text):
    if text.lower() in ("full", "none", "inf"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid cut-off {text!r}: a number or 'full'") from None


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show (None, a flag) or the
    help already says it."""

    def _get_help_string(self, action):
        text = action.help or ""
        none = action.default is None or action.default is False  # not 0: a real default
        if "default" in text or none or action.default == argparse.SUPPRESS:
            return text
        return super()._get_help_string(action)


def _device(text):
    from .experiments.devices import parse_device

    try:
        return parse_device(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_run_parser(sub):
    run = sub.add_parser(
        "run",
        help="run an experiment of the paper into a results store",
        formatter_class=_Formatter,
    )
    kinds = run.add_subparsers(dest="experiment", required=True)
    _add_parser = kinds.add_parser

    def add_parser(*args, **kwargs):
        return _add_parser(*args, formatter_class=_Formatter, **kwargs)

    kinds.add_parser = add_parser

    def common(p, data=True, alpha=(0.0, 1.0), epsilon=None):
        if data:
            p.add_argument("--data-dir", required=True, help="the dataset folder")
            p.add_argument(
                "--subjects",
                type=_subjects,
                nargs="+",
                default=None,
                help="subjects, e.g. 1-32 or 1,3,5-7 (default: all present)",
            )
        p.add_argument("--results", required=True, help="SQLite results store (.sqlite)")
        p.add_argument(
            "--alpha", type=float, nargs="+", default=list(alpha),
            help="ranking-loss weights (0 = the baseline)",
        )  # fmt: skip
        if epsilon is not None:
            p.add_argument(
                "--epsilon", type=float, nargs="+", default=list(epsilon),
                help="rank tolerances (pairs closer than epsilon are 'similar')",
            )  # fmt: skip
        p.add_argument("--recipe", default="paper", help="pipeline recipe")
        p.add_argument("--n-jobs", type=int, default=1, help="units in parallel")
        p.add_argument("--backend", choices=["loky", "dask"], default="loky", help="parallelism")
        p.add_argument("--scheduler", default=None, help="Dask scheduler address")
        p.add_argument("--seed", type=int, default=0, help="seeds the folds and every network")
        p.add_argument(
            "--max-epochs", type=int, default=None,
            help="training epochs (default: the recipe's, 20 for the EEG nets, 50 for diabetes)",
        )  # fmt: skip
        p.add_argument(
            "--device", type=_device, default="auto",
            help="auto, cpu, cuda or cuda:N; auto: CPU for EEG/regression units, a GPU per "
            "worker for image units when CUDA exists",
        )  # fmt: skip
        p.add_argument("--quiet", action="store_true", help="plain log lines, no progress bar")
        return p

    deap = common(
        kinds.add_parser("deap", help="paper Table IV (DEAP, 10-fold CV per subject)"),
        epsilon=(0.25,),
    )
    seed = common(kinds.add_parser("seed", help="paper Table V (SEED, 9/6 trials a session)"))
    seed.add_argument(
        "--sessions", type=_subjects, nargs="+", default=None, help="sessions 1-3 (default: all)"
    )
    sweep = common(
        kinds.add_parser("sweep", help="alpha and epsilon sweeps (paper Tables VII/VIII)"),
        data=False,
        alpha=(0.0, 0.5, 1.0, 2.0),
        epsilon=(0.05, 0.1, 0.15, 0.25),
    )
    sweep.add_argument(
        "--dataset", choices=["diabetes", "deap", "seed"], default="diabetes", help="data set"
    )
    sweep.add_argument("--data-dir", default=None, help="dataset folder (deap, seed)")
    sweep.add_argument(
        "--subjects", type=_subjects, nargs="+", default=None, help="subjects (deap, seed)"
    )
    sweep.add_argument("--ref-alpha", type=float, default=1.0, help="alpha of the epsilon sweep")
    sweep.add_argument(
        "--ref-epsilon",
        type=float,
        default=None,
        help="epsilon of the alpha sweep (default: the first --epsilon)",
    )
    sweep.add_argument("--grid", action="store_true", help="every (alpha, epsilon) pair")
    cutoff = common(
        kinds.add_parser("cutoff", help="label-space cut-off (paper Table IX)"),
        data=False,
        alpha=(0.0, 1.0),
        epsilon=(0.25,),
    )
    cutoff.add_argument("--dataset", choices=["diabetes"], default="diabetes", help="data set")
    cutoff.add_argument(
        "--cutoff",
        type=_cutoff,
        nargs="+",
        default=[0.5, 1.0, 1.5, None],
        help="cut-offs c on the standardized target, or 'full'",
    )
    for p in (deap, sweep, cutoff):
        p.add_argument(
            "--pairing",
            choices=["split", "all"],
            default="split",
            help="pairs of a batch: its two halves (paper) or every ordered pair",
        )
    affectnet = common(
        kinds.add_parser("affectnet", help="AffectNet VGG regression (paper Tables VI-IX shapes)"),
        data=False,
        alpha=(0.0, 1.0),
        epsilon=(0.15,),
    )
    affectnet.add_argument("--data-dir", required=True, help="AffectNet root folder")
    affectnet.add_argument(
        "--cutoff", type=_cutoff, nargs="+", default=None,
        help="label-space cut-offs c (Table IX), or 'full'",
    )  # fmt: skip
    affectnet.add_argument("--max-steps", type=int, default=50_000, help="training steps")
    affectnet.add_argument("--size", type=int, default=96, help="image size (pixels)")
    affectnet.add_argument("--batch-size", type=int, default=128, help="images a step")
    affectnet.add_argument("--no-augment", action="store_true", help="no training augmentation")
    affectnet.add_argument("--cache-dir", default=None, help="where the image cache is kept")
    affectnet.add_argument(
        "--ranknet", action="store_true",
        help="also train RankNetRegressor(module='vgg') (reported with PCC: its scores have no "
        "scale)",
    )  # fmt: skip
    for p in (sweep, cutoff):
        p.add_argument("--n-splits", type=int, default=5, help="folds of the repeated K-fold")
        p.add_argument("--n-repeats", type=int, default=2, help="repeats of the K-fold")
    run.set_defaults(func=_run)


def _flat(subjects):
    return None if subjects is None else sorted({s for group in subjects for s in group})


def _experiment(args):
    from .experiments import units

    common = dict(seed=args.seed, max_epochs=args.max_epochs)
    kind = args.experiment
    if kind == "deap":
        settings = units.sweep_settings(args.alpha, args.epsilon, grid=True)
        return units.DeapExperiment(
            args.data_dir, _flat(args.subjects), settings, recipe=args.recipe,
            pairing=args.pairing, **common,
        )  # fmt: skip
    if kind == "seed":
        return units.SeedExperiment(
            args.data_dir,
            _flat(args.subjects),
            [(a, None) for a in args.alpha],
            recipe=args.recipe,
            sessions=_flat(args.sessions),
            **common,
        )
    if kind == "affectnet":
        from .experiments.affectnet import AffectNetExperiment

        return AffectNetExperiment(
            args.data_dir,
            units.sweep_settings(args.alpha, args.epsilon, grid=True),
            cutoffs=None if args.cutoff is None else list(args.cutoff),
            seed=args.seed,
            max_steps=args.max_steps,
            size=args.size,
            batch_size=args.batch_size,
            augment=None if args.no_augment else "paper",
            cache_dir=args.cache_dir,
            ranknet=args.ranknet,
        )
    if kind == "sweep":
        settings = units.sweep_settings(
            args.alpha,
            args.epsilon,
            ref_alpha=args.ref_alpha,
            ref_epsilon=args.ref_epsilon,
            grid=args.grid,
        )
        if args.dataset == "diabetes":
            return units.RegressionExperiment(
                "diabetes",
                settings,
                n_splits=args.n_splits,
                n_repeats=args.n_repeats,
                name="sweep",
                pairing=args.pairing,
                **common,
            )
        if args.data_dir is None:
            raise units.ExperimentError(f"run sweep --dataset {args.dataset} needs --data-dir.")
        if args.dataset == "deap":
            common["pairing"] = args.pairing
        elif args.pairing != "split":
            raise units.ExperimentError("--pairing is available for deap and diabetes sweeps.")
        cls = units.DeapExperiment if args.dataset == "deap" else units.SeedExperiment
        return cls(
            args.data_dir,
            _flat(args.subjects),
            settings,
            recipe=args.recipe,
            name="sweep",
            **common,
        )
    settings = units.sweep_settings(args.alpha, args.epsilon, grid=True)
    return units.RegressionExperiment(
        args.dataset,
        settings,
        cutoffs=list(args.cutoff),
        n_splits=args.n_splits,
        n_repeats=args.n_repeats,
        name="cutoff",
        pairing=args.pairing,
        **common,
    )


def _run(args):
    from .experiments.devices import check_device
    from .experiments.interrupt import signal_name
    from .experiments.runner import RunInterrupted, command_line, run_experiment
    from .experiments.units import ExperimentError

    command = command_line(["run", *args.argv[1:]])
    if args.scheduler is None and args.device.startswith("cuda"):  # remote: checked there
        import torch

        try:
            check_device(args.device, torch.cuda.device_count())
        except ValueError as err:
            raise ExperimentError(str(err)) from None
    try:
        report = run_experiment(
            _experiment(args),
            args.results,
            n_jobs=args.n_jobs,
            backend=args.backend,
            scheduler=args.scheduler,
            progress=not args.quiet,
            command=command,
            device=args.device,
        )
    except RunInterrupted as stop:
        done = stop.report.planned - stop.report.missing
        print(
            f"\nsk-prnet: stopped by {signal_name(stop.signum)}; the unit(s) in flight were not "
            f"stored. {done}/{stop.report.planned} units are in {args.results}. To resume, run "
            f"the same command again (only the missing units run):\n  {command}",
            file=sys.stderr,
        )
        return stop.exit_code
    print(report.message())
    print(f"tables: sk-prnet report {args.results}")
    return 0 if report.missing == 0 else 1


def _report(args):
    from pathlib import Path

    from .experiments.render import coverage_text, render_report

    if not Path(args.results).exists():
        raise FileNotFoundError(f"The results store {args.results!r} does not exist.")
    if args.format == "csv":  # stdout: the CSV alone, for pandas.read_csv; prose: stderr
        text = render_report(args.results, fmt="csv", figures=args.figures)
        print(f"Results store: {args.results}\n{coverage_text(args.results)}", file=sys.stderr)
        sys.stdout.write(text)
    else:
        print(render_report(args.results, fmt=args.format, figures=args.figures))
    sys.stdout.flush()  # a closed pipe (| head) shows here, inside main's handler
    return 0


def _demo(args):
    from .experiments.demo import run_demo

    result = run_demo(
        cache_dir=args.cache_dir,
        n_subjects=args.subjects,
        trial_seconds=args.trial_seconds,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        figure=args.figure,
        progress=not args.quiet,
    )
    print(
        f"\nSynthetic DEAP ({args.subjects} subjects, data in {result['data_dir']}), "
        "subject-dependent 10-fold CV; accuracy in %, macro F1; mean ± std over subjects:\n"
    )
    print(result["table"])
    if result["figure"]:
        print(f"\nfigure: {result['figure']}")
    print(f"finished in {result['seconds']:.0f} s")
    return 0


def build_parser():
    """The argument parser of ``sk-prnet`` (sub-commands)."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="sk-prnet", description="Pairwise Ranking Network experiments.",
        formatter_class=_Formatter,
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="baseline vs PRNet on a small synthetic DEAP (paper Table IV shape)",
        formatter_class=_Formatter,
    )  # fmt: skip
    demo.add_argument("--cache-dir", default=None, help="where synthetic data is kept")
    demo.add_argument("--subjects", type=int, default=8, help="synthetic subjects")
    demo.add_argument("--trial-seconds", type=int, default=30, help="seconds a trial")
    demo.add_argument("--n-jobs", type=int, default=2, help="subjects in parallel")
    demo.add_argument("--seed", type=int, default=0, help="seeds the data and the networks")
    demo.add_argument("--figure", default="sk_prnet_demo.png", help="figure file")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=_demo)
    _add_run_parser(sub)
    report = sub.add_parser(
        "report", help="paper-shaped tables and figures from a results store",
        formatter_class=_Formatter,
    )  # fmt: skip
    report.add_argument("results", help="the .sqlite results store")
    report.add_argument(
        "--format", choices=["markdown", "latex", "csv"], default="markdown",
        help="csv: one tidy table on stdout (columns in docs/reproducing.md), prose on stderr",
    )  # fmt: skip
    report.add_argument("--figures", default=None, metavar="DIR", help="write figures here")
    report.set_defaults(func=_report)
    return parser


def main(argv=None):
    """Entry point of the ``sk-prnet`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    from .experiments.store import StoreError
    from .experiments.units import ExperimentError

    try:
        return args.func(args)
    except (ExperimentError, StoreError, FileNotFoundError) as err:
        print(f"sk-prnet: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (``sk-prnet report ... | head``): end quietly, like other
        # Unix tools, and keep Python from complaining again when it flushes at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13  # 141: stopped by SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
