"""Device choices as pure functions (testable without a GPU) and loading on a smaller machine."""

import os
import pickle

import numpy as np
import pytest
import torch
from skorch.exceptions import DeviceWarning

from sk_prnet import PRNetRegressor
from sk_prnet.estimators._validation import forked_devices, loadable_device, resolve_device


def test_a_cuda_ordinal_this_machine_lacks_is_refused_up_front():
    one_gpu = dict(cuda_available=True, device_count=1)
    assert resolve_device("cuda:0", **one_gpu) == torch.device("cuda:0")
    assert resolve_device("cuda", **one_gpu) == torch.device("cuda")
    assert resolve_device("auto", **one_gpu) == torch.device("cuda")
    with pytest.raises(ValueError, match=r"'cuda:1'.*this machine has 1 \(cuda:0 to cuda:0\)"):
        resolve_device("cuda:1", **one_gpu)
    assert resolve_device(torch.device("cuda", 1), cuda_available=True, device_count=2).index == 1
    with pytest.raises(ValueError, match="CUDA, which is not available"):
        resolve_device("cuda:0", cuda_available=False, device_count=0)
    assert resolve_device("auto", cuda_available=False) == torch.device("cpu")


def test_fit_checks_the_ordinal(eeg_like):
    X, y, _, _ = eeg_like
    n = torch.cuda.device_count()
    with pytest.raises(ValueError, match=f"cuda:{n}"):
        PRNetRegressor(device=f"cuda:{n}").fit(X, y[:, 0])


def test_loadable_device_falls_back_to_the_cpu_with_the_reason():
    assert loadable_device("cuda:1", cuda_available=True, device_count=2) == (
        torch.device("cuda:1"),
        None,
    )
    device, reason = loadable_device("cuda:1", cuda_available=True, device_count=1)
    assert device == torch.device("cpu") and "this machine has 1" in reason
    device, reason = loadable_device("cuda", cuda_available=False, device_count=0)
    assert device == torch.device("cpu") and "not available" in reason
    assert loadable_device("cpu", cuda_available=False) == (torch.device("cpu"), None)


def test_forked_devices_resolve_the_current_cuda_device():
    # "cuda" is the *current* device, which need not be 0 (torch.cuda.set_device(1))
    assert forked_devices(torch.device("cuda"), current_index=1) == [1]
    assert forked_devices(torch.device("cuda:2"), current_index=1) == [2]
    assert forked_devices(torch.device("cpu"), current_index=1) == []


def test_an_estimator_pickled_on_cuda_1_loads_on_this_machine(eeg_like, fast, stored_as):
    X, y, _, _ = eeg_like
    reg = PRNetRegressor(**dict(fast, max_epochs=1)).fit(X, y[:, 0])
    expected = reg.predict(X)
    # what a machine with two GPUs pickles: device "cuda:1", tensors stored at "cuda:1"
    vars(reg)["device"], reg.device_ = "cuda:1", torch.device("cuda:1")
    with stored_as("cuda:1"):
        blob = pickle.dumps(reg)
    if torch.cuda.device_count() > 1:
        pytest.skip("this machine has cuda:1")
    with pytest.warns(DeviceWarning, match="saved on device='cuda:1'.*loaded on the CPU"):
        loaded = pickle.loads(blob)
    assert loaded.device == "cpu" and loaded.device_ == torch.device("cpu")
    np.testing.assert_array_equal(loaded.predict(X), expected)


def _torch_determinism():
    cudnn = torch.backends.cudnn
    return (
        torch.are_deterministic_algorithms_enabled(),
        cudnn.deterministic,
        cudnn.benchmark,
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )


def test_deterministic_fit_sets_torch_modes_only_inside_fit(eeg_like, fast):
    from skorch.callbacks import Callback

    class Seen(Callback):
        def on_batch_end(self, net, **kwargs):
            self.modes = _torch_determinism()

    X, _, ratings, _ = eeg_like
    before = _torch_determinism()
    seen = Seen()
    det = PRNetRegressor(deterministic=True, callbacks=[seen], **fast).fit(X, ratings)
    assert seen.modes == (True, True, False, ":4096:8")
    assert _torch_determinism() == before
    # on the CPU it changes no result: CPU fits already repeat bit for bit
    plain = PRNetRegressor(**fast).fit(X, ratings)
    np.testing.assert_array_equal(det.predict(X), plain.predict(X))
    # restored on an error too (the 1e30 learning rate diverges)
    with pytest.raises(ValueError, match="diverged"):
        PRNetRegressor(deterministic=True, **dict(fast, lr=1e30)).fit(X * 1e6, ratings)
    assert _torch_determinism() == before
    with pytest.raises(ValueError, match="deterministic must be True or False"):
        PRNetRegressor(deterministic="yes", **fast).fit(X, ratings)
