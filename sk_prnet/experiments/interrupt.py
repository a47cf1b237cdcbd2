"""Stop requests: SIGINT and SIGTERM stop a run, and no unit trained after them is stored.

skorch's convention, which the estimators keep, is that ``fit`` catches ``KeyboardInterrupt``
and returns normally ("stop training, keep the model"). A runner that only watched for the
exception would then store the cut-short fit as a finished unit. So the runner records the
stop request itself, from its own signal handler, and refuses every unit that comes back after
the request (see :func:`sk_prnet.experiments.run_experiment`).
"""

import signal
import threading

__all__ = ["SIGNALS", "StopRequest", "exit_code", "signal_name"]

#: The signals that request a stop.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def signal_name(signum):
    """``"SIGINT"`` for ``signal.SIGINT``, ... (the number as text for an unknown one)."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


def exit_code(signum):
    """The shell's exit code of a process stopped by ``signum``: ``128 + signum``.

    130 for SIGINT, 143 for SIGTERM.
    """
    return 128 + int(signum)


class StopRequest:
    """While active, SIGINT/SIGTERM record a stop request and raise ``KeyboardInterrupt``.

    Handlers are installed only in the main thread of the process (Python delivers signals
    there); elsewhere the object only records what :meth:`request` is told. The previous
    handlers are restored on exit.

    Parameters
    ----------
    chain : bool, default=False
        After recording the signal, call the handler installed before this one when it is a
        Python function (e.g. the runner's own, when a unit runs in the runner's process)
        instead of raising ``KeyboardInterrupt`` directly.

    Attributes
    ----------
    signum : int or None
        The first signal received (or requested), ``None`` while no stop was requested.
    armed : bool
        Whether a signal raises ``KeyboardInterrupt`` (set to ``False`` while cleaning up,
        so that a second Ctrl-C cannot cut the cleanup short; it is still recorded).

    Examples
    --------
    >>> import os, signal
    >>> from sk_prnet.experiments.interrupt import StopRequest
    >>> with StopRequest() as stop:
    ...     try:
    ...         os.kill(os.getpid(), signal.SIGTERM)
    ...     except KeyboardInterrupt:
    ...         pass
    >>> stop.requested, stop.signum == signal.SIGTERM
    (True, True)
    """

    def __init__(self, chain=False):
        self.chain = chain
        self.signum = None
        self.armed = True
        self._previous = {}

    @property
    def requested(self):
        """Whether a stop was requested."""
        return self.signum is not None

    def request(self, signum=signal.SIGINT):
        """Record a stop request (the first one wins)."""
        if self.signum is None:
            self.signum = int(signum)

    def _handle(self, signum, frame):
        self.request(signum)
        previous = self._previous.get(signum)
        if self.chain and callable(previous):
            previous(signum, frame)
        elif self.armed:
            raise KeyboardInterrupt

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for s in SIGNALS:
                self._previous[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, exc_type, exc, tb):
        for s, handler in self._previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        self._previous.clear()
        return False
