"""Warnings and errors raised by the sk_prnet estimators (importable without torch)."""

__all__ = ["TrainingInterruptedWarning", "TrainingDivergedError", "CheckpointError"]


class TrainingInterruptedWarning(UserWarning):
    """``fit`` was interrupted (Ctrl-C, SIGINT) and kept the partly trained network.

    Following skorch, an interrupted ``fit`` returns normally with the weights reached so
    far; the estimator's ``interrupted_`` attribute is then ``True``. Such a model must not be
    taken for a finished one. With ``checkpoint_dir``, the last checkpoint is kept and the
    next ``fit`` with the same parameters and data resumes from it.
    """


class TrainingDivergedError(FloatingPointError, ValueError):
    """The training loss became NaN or infinite: the network diverged.

    Raised by ``fit`` at the end of the first epoch whose training loss is not finite; the
    message names that epoch and the first optimizer step with a non-finite loss. Usual
    causes are targets on a large scale (standardize them) or a learning rate that is too
    high. A subclass of both ``FloatingPointError`` and ``ValueError``, so code that catches
    either (e.g. scikit-learn's ``error_score`` handling) sees it.
    """


class CheckpointError(ValueError):
    """A checkpoint file cannot be used: not written by sk_prnet, truncated, or of another run.

    ``fit`` never resumes from such a file; delete it (or use another ``checkpoint_dir``) to
    start from scratch.
    """
