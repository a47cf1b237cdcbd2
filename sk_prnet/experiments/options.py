"""Command-line options the experiments share (``sk-prnet run NAME --help``).

Each experiment adds its options in :meth:`~sk_prnet.experiments.protocol.Experiment.
add_arguments` from these pieces; the runner's own options (``--results``, ``--n-jobs``...)
are added by :mod:`sk_prnet.cli`.
"""

import argparse

__all__ = [
    "add_data_options",
    "add_kfold_options",
    "add_model_options",
    "add_pairing_option",
    "cutoff",
    "flat",
    "subjects",
]


def subjects(text):
    """Parse ``"1-32"``, ``"1,3,5-7"`` (or several such words) into a sorted list of ints.

    Raises
    ------
    argparse.ArgumentTypeError
        For anything else.
    """
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


def cutoff(text):
    """A label-space cut-off: a number, or ``"full"`` (``None``: the full training set).

    Raises
    ------
    argparse.ArgumentTypeError
        For anything else.
    """
    if text.lower() in ("full", "none", "inf"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid cut-off {text!r}: a number or 'full'") from None


def flat(groups):
    """The sorted union of the lists of :func:`subjects` (``None`` stays ``None``)."""
    return None if groups is None else sorted({s for group in groups for s in group})


def add_data_options(parser, required=True, what="subjects"):
    """``--data-dir`` and ``--subjects``."""
    parser.add_argument("--data-dir", required=required, default=None,
                        help="the dataset folder" if required else "dataset folder (deap, seed)")
    parser.add_argument(
        "--subjects", type=subjects, nargs="+", default=None,
        help="subjects, e.g. 1-32 or 1,3,5-7 (default: all present)" if required
        else "subjects (deap, seed)",
    )  # fmt: skip


def add_model_options(parser, alpha=(0.0, 1.0), epsilon=None):
    """``--alpha``, ``--epsilon`` (when it has a default), ``--recipe``, ``--seed`` and
    ``--max-epochs``."""
    parser.add_argument(
        "--alpha", type=float, nargs="+", default=list(alpha),
        help="ranking-loss weights (0 = the baseline)",
    )  # fmt: skip
    if epsilon is not None:
        parser.add_argument(
            "--epsilon", type=float, nargs="+", default=list(epsilon),
            help="rank tolerances (pairs closer than epsilon are 'similar')",
        )  # fmt: skip
    parser.add_argument("--recipe", default="paper", help="pipeline recipe")
    parser.add_argument("--seed", type=int, default=0, help="seeds the folds and every network")
    parser.add_argument(
        "--max-epochs", type=int, default=None,
        help="training epochs (default: the recipe's, 20 for the EEG nets, 50 for diabetes)",
    )  # fmt: skip


def add_pairing_option(parser):
    """``--pairing``."""
    parser.add_argument(
        "--pairing", choices=["split", "all"], default="split",
        help="pairs of a batch: its two halves (paper) or every ordered pair",
    )  # fmt: skip


def add_kfold_options(parser):
    """``--n-splits`` and ``--n-repeats`` of a repeated K-fold."""
    parser.add_argument("--n-splits", type=int, default=5, help="folds of the repeated K-fold")
    parser.add_argument("--n-repeats", type=int, default=2, help="repeats of the K-fold")
