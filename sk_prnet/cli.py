"""The ``sk-prnet`` command line."""

import argparse
import sys

__all__ = ["main"]


def _demo(args):
    from .experiments.demo import run_demo

    result = run_demo(
        cache_dir=args.cache_dir, n_subjects=args.subjects, trial_seconds=args.trial_seconds,
        n_jobs=args.n_jobs, random_state=args.seed, figure=args.figure,
        progress=not args.quiet,
    )  # fmt: skip
    print(f"\nSynthetic DEAP ({args.subjects} subjects, data in {result['data_dir']}), "
          "subject-dependent 10-fold CV; accuracy in %, macro F1; mean ± std over subjects:\n")  # fmt: skip
    print(result["table"])
    if result["figure"]:
        print(f"\nfigure: {result['figure']}")
    print(f"finished in {result['seconds']:.0f} s")
    return 0


def build_parser():
    """The argument parser of ``sk-prnet`` (sub-commands)."""
    parser = argparse.ArgumentParser(
        prog="sk-prnet", description="Pairwise Ranking Network experiments."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo", help="baseline vs PRNet on a small synthetic DEAP (paper Table IV shape)"
    )
    demo.add_argument("--cache-dir", default=None, help="where synthetic data is kept")
    demo.add_argument("--subjects", type=int, default=8)
    demo.add_argument("--trial-seconds", type=int, default=30)
    demo.add_argument("--n-jobs", type=int, default=2)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--figure", default="sk_prnet_demo.png")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=_demo)
    return parser


def main(argv=None):
    """Entry point of the ``sk-prnet`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
