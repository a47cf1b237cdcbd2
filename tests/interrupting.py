"""skorch callbacks that interrupt a fit the way a user does (imported as ``interrupting``)."""

import os
import signal

from skorch.callbacks import Callback


class SigintAt(Callback):
    """Sends a real SIGINT to this process after training batch ``step`` (as Ctrl-C does)."""

    def __init__(self, step):
        self.step = step

    def on_batch_end(self, net, training=False, **kwargs):
        if training and net.steps_ == self.step:
            os.kill(os.getpid(), signal.SIGINT)


class InterruptAtEpoch(Callback):
    """Raises KeyboardInterrupt at the end of epoch ``epoch`` (1-based), as Ctrl-C there would."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt
