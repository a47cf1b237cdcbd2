"""The ``sk-prnet`` command line."""

import argparse
import os
import sys

__all__ = ["main"]


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


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _add_run_parser(sub):
    from .experiments.registry import experiments, get_experiment

    run = sub.add_parser(
        "run",
        help="run an experiment of the paper into a results store",
        formatter_class=_Formatter,
    )
    kinds = run.add_subparsers(dest="experiment", required=True)
    for name in experiments():  # each registered experiment, with its own options
        cls = get_experiment(name)
        p = kinds.add_parser(name, help=cls.help, formatter_class=_Formatter)
        cls.add_arguments(p)
        _add_runner_options(p)
    run.set_defaults(func=_run)


def _add_runner_options(p):
    """The options of :func:`~sk_prnet.experiments.run_experiment`, for every experiment."""
    p.add_argument("--results", required=True, help="SQLite results store (.sqlite)")
    p.add_argument("--n-jobs", type=int, default=1, help="units in parallel")
    p.add_argument("--backend", choices=["loky", "dask"], default="loky", help="parallelism")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address")
    p.add_argument(
        "--device", type=_device, default="auto",
        help="auto, cpu, cuda or cuda:N; auto: CPU for EEG/regression units, a GPU per "
        "worker for image units when CUDA exists",
    )  # fmt: skip
    p.add_argument(
        "--no-batched", dest="batched", action="store_false",
        help="fit each unit's network on its own instead of training a group of units' "
        "networks as one batched model (same results, to float32 rounding; slower)",
    )  # fmt: skip
    p.add_argument(
        "--batch-units", type=_positive_int, default=None, metavar="N",
        help="most units trained as one batched model (default 20; smaller: finished units "
        "are stored more often)",
    )  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="plain log lines, no progress bar")


def _run(args):
    from .experiments.devices import check_device
    from .experiments.interrupt import signal_name
    from .experiments.protocol import ExperimentError
    from .experiments.registry import get_experiment
    from .experiments.runner import RunInterrupted, command_line, run_experiment

    command = command_line(["run", *args.argv[1:]])
    if args.scheduler is None and args.device.startswith("cuda"):  # remote: checked there
        import torch

        try:
            check_device(args.device, torch.cuda.device_count())
        except ValueError as err:
            raise ExperimentError(str(err)) from None
    try:
        report = run_experiment(
            get_experiment(args.experiment).from_args(args),
            args.results,
            n_jobs=args.n_jobs,
            backend=args.backend,
            scheduler=args.scheduler,
            progress=not args.quiet,
            command=command,
            device=args.device,
            batched=args.batched,
            batch_units=args.batch_units,
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
    from .experiments.protocol import ExperimentError
    from .experiments.store import StoreError

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
