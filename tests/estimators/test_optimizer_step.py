"""The optimizer step: the default fused SGD's direct kernel call equals torch's ``step``,
and whatever observes ``optimizer.step`` (hooks, schedulers) still sees every step."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, LRScheduler

from sk_prnet import PRNetClassifier, PRNetRegressor


class StepHook(Callback):
    """Registers an optimizer step pre-hook at the start of training; counts its calls."""

    def initialize(self):
        self.calls = 0
        return self

    def on_train_begin(self, net, **kwargs):
        def hook(optimizer, args, kwargs):
            self.calls += 1

        net.optimizer_.register_step_pre_hook(hook)


class ZeroLearningRate(Callback):
    """Sets the learning rate to 0 in the param group itself from epoch ``at`` on."""

    def __init__(self, at):
        self.at = at

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) >= self.at:
            for group in net.optimizer_.param_groups:
                group["lr"] = 0.0


def _params(net):
    return [p.detach().clone() for p in net.module_.parameters()]


@pytest.mark.parametrize(
    "make, kw",
    [
        (PRNetClassifier, {}),
        (PRNetClassifier, {"momentum": 0.0}),
        (PRNetClassifier, {"optimizer__nesterov": True}),
        (PRNetClassifier, {"alpha": 0.0}),
        (PRNetRegressor, {"weight_decay": 0.0}),
        (PRNetRegressor, {"optimizer__maximize": True, "lr": 1e-4}),
    ],
)
def test_the_direct_fused_step_equals_torchs_step(eeg_like, fast, make, kw):
    X, y, ratings, _ = eeg_like
    target = y[:, 0] if make is PRNetClassifier else ratings[:, 0]
    kw = {**fast, "max_epochs": 3, **kw}
    direct = make(**kw).fit(X, target)
    hook = StepHook()
    observed = make(callbacks=[hook], **kw).fit(X, target)
    assert direct.optimizer_.param_groups[0]["fused"]
    # the hook makes every step torch's own: it saw each one
    assert hook.calls == observed.steps_ == direct.steps_ > 0
    for a, b in zip(direct.module_.parameters(), observed.module_.parameters()):
        assert torch.equal(a, b)
    # and the momentum buffers the optimizer keeps are the same
    for p, q in zip(direct.module_.parameters(), observed.module_.parameters()):
        a, b = direct.optimizer_.state[p], observed.optimizer_.state[q]
        assert a.keys() == b.keys()
        if "momentum_buffer" in a and a["momentum_buffer"] is not None:
            assert torch.equal(a["momentum_buffer"], b["momentum_buffer"])


def test_a_learning_rate_changed_in_the_group_takes_effect(eeg_like, fast):
    X, y, _, _ = eeg_like
    kw = {**fast, "max_epochs": 1, "warm_start": True}
    net = PRNetClassifier(**kw).fit(X, y[:, 0])
    before = _params(net)
    net.set_params(callbacks=[ZeroLearningRate(at=0)], callbacks__print_log=None)
    net.initialize_callbacks()
    net.partial_fit(X, y[:, 0])  # lr 0: SGD's update is p -= 0 * buffer
    assert net.steps_ > 0
    for a, b in zip(before, net.module_.parameters()):
        assert torch.equal(a, b)


def test_a_learning_rate_scheduler_sees_every_step(eeg_like, fast):
    X, y, _, _ = eeg_like
    sched = LRScheduler("StepLR", step_size=1, gamma=0.5, step_every="batch")
    net = PRNetClassifier(callbacks=[sched], **{**fast, "max_epochs": 2}).fit(X, y[:, 0])
    # one scheduler step per optimizer step: lr halved steps_ times, and torch warns of no
    # scheduler step "before optimizer.step()" (the step counter saw the optimizer's steps)
    np.testing.assert_allclose(
        net.optimizer_.param_groups[0]["lr"], fast.get("lr", 1e-3) * 0.5**net.steps_, rtol=1e-6
    )
    assert net.optimizer_._opt_called
