"""Checkpoint files cannot run code; unusable ones are refused, never silently used."""

import json
import pickle

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sk_prnet import CheckpointError, PRNetRegressor, TrainingInterruptedWarning
from sk_prnet.estimators._checkpoint import read_checkpoint, rng_states, set_rng_states

CKPT = "sk_prnet_checkpoint.pt"


class Stop(Callback):
    def on_batch_end(self, net, training=False, **kwargs):
        if training and net.steps_ == 3:
            raise KeyboardInterrupt


@pytest.fixture
def run(eeg_like, fast, tmp_path):
    """Data and settings of a checkpointed regression fit."""
    X, _, ratings, _ = eeg_like
    kw = dict(fast, max_epochs=2, checkpoint_dir=tmp_path / "ckpt", checkpoint_every=2)
    return X, ratings[:, 0] - 5, kw


def _interrupted_checkpoint(run):
    X, y, kw = run
    with pytest.warns(TrainingInterruptedWarning):
        PRNetRegressor(callbacks=[Stop()], **kw).fit(X, y)
    path = kw["checkpoint_dir"] / CKPT
    assert path.exists()
    return path


class _WritesMarker:
    """Unpickling this runs code: it writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('pwned')",)


@pytest.mark.parametrize("writer", ["torch.save", "pickle"])
def test_a_checkpoint_that_would_run_code_is_refused(run, tmp_path, writer):
    X, y, kw = run
    marker = tmp_path / "marker"
    path = kw["checkpoint_dir"] / CKPT
    path.parent.mkdir()
    payload = {"format": "sk_prnet.checkpoint", "evil": _WritesMarker(marker)}
    if writer == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(CheckpointError, match="cannot be read safely.*was not used"):
        PRNetRegressor(**kw).fit(X, y)
    assert not marker.exists()  # today's main (weights_only=False) ran the code
    assert path.exists()  # the user's file is left for them to inspect


def test_a_truncated_checkpoint_is_refused(run):
    X, y, kw = run
    path = _interrupted_checkpoint(run)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="cannot be read safely"):
        PRNetRegressor(**kw).fit(X, y)


def test_a_torch_file_that_is_not_ours_is_refused(run):
    X, y, kw = run
    path = kw["checkpoint_dir"] / CKPT
    path.parent.mkdir()
    torch.save({"module": {"w": torch.zeros(3)}, "fingerprint": "x"}, path)
    with pytest.raises(CheckpointError, match="is not an sk_prnet checkpoint"):
        PRNetRegressor(**kw).fit(X, y)


def test_checkpoint_of_another_run_or_with_a_bad_rng_state_is_refused(run):
    X, y, kw = run
    path = _interrupted_checkpoint(run)
    with pytest.raises(CheckpointError, match="other parameters or data"):
        PRNetRegressor(**dict(kw, lr=0.5)).fit(X, y)
    raw = torch.load(path, weights_only=True)
    raw["rng"]["cpu"] = raw["rng"]["cpu"][:10]
    torch.save(raw, path)
    with pytest.raises(CheckpointError, match="no valid RNG state 'rng'"):
        PRNetRegressor(**kw).fit(X, y)


def test_non_tensors_are_json_and_everything_loads_on_the_cpu(run):
    path = _interrupted_checkpoint(run)
    raw = torch.load(path, weights_only=True)
    meta = json.loads(raw["meta"])  # history, counters and position: plain JSON
    assert meta["steps"] == 2 and meta["epoch"] == 0 and meta["batch"] == 2
    assert meta["history"][0]["epoch"] == 1
    state = read_checkpoint(path)
    tensors = [*state["module"].values(), *state["rng"].values(), *state["epoch_rng"].values()]
    assert all(t.device.type == "cpu" for t in tensors)


def test_a_checkpoint_written_on_a_gpu_is_read_onto_the_cpu(run, stored_as):
    X, y, kw = run
    path = _interrupted_checkpoint(run)
    raw = torch.load(path, weights_only=True)
    raw["rng"]["cuda"] = (
        torch.cuda.get_rng_state()
        if torch.cuda.is_available()
        else (raw["rng"]["cpu"][:16].clone())
    )  # a CUDA generator's state rides along
    with stored_as("cuda:0"):  # as a GPU machine writes it
        torch.save(raw, path)
    if not torch.cuda.is_available():  # the file really says "cuda": plain loading fails here
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=True)
    state = read_checkpoint(path)
    assert all(t.device.type == "cpu" for t in state["rng"].values())
    # the RNG states restore from these CPU tensors; CUDA's only on a CUDA device
    before = torch.get_rng_state()
    try:
        set_rng_states(state["rng"], torch.device("cpu"))
        assert torch.equal(rng_states(torch.device("cpu"))["cpu"], state["rng"]["cpu"])
    finally:
        torch.set_rng_state(before)
    # and the fit resumes from it on the CPU, ending as an uninterrupted fit
    reference = PRNetRegressor(**dict(kw, checkpoint_dir=None)).fit(X, y)
    resumed = PRNetRegressor(**kw).fit(X, y)
    np.testing.assert_array_equal(resumed.predict(X), reference.predict(X))
