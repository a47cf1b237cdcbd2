import numpy as np
import pytest


@pytest.fixture(scope="session")
def eeg_like():
    """A small learnable problem shaped like the paper's EEG one (2 outputs, ratings 1-9)."""
    rng = np.random.default_rng(0)
    n, p = 160, 12
    X = rng.normal(size=(n, p)).astype(np.float32)
    ratings = np.column_stack(
        [
            5 + 2.0 * X[:, 0] + 0.5 * rng.normal(size=n),
            5 - 2.0 * X[:, 1] + 0.5 * rng.normal(size=n),
        ]
    ).clip(1, 9)
    y = (ratings > 5).astype(int)
    subject = np.repeat(np.arange(4), n // 4)
    return X, y, ratings, subject


FAST = dict(max_epochs=8, lr=0.02, batch_size=32, device="cpu", random_state=0)


@pytest.fixture
def fast():
    """Estimator settings for quick real training in tests."""
    return dict(FAST)


@pytest.fixture
def batch_counter():
    """A skorch callback counting the training batches it sees (in ``.n``)."""
    from skorch.callbacks import Callback

    class BatchCounter(Callback):
        def initialize(self):
            self.n = 0
            return self

        def on_batch_end(self, net, training=False, **kwargs):
            self.n += bool(training)

    return BatchCounter()


_LOCATION = {"tag": None, "registered": False}


@pytest.fixture(scope="session")
def stored_as():
    """``with stored_as("cuda:1"): torch.save(...)`` writes tensors tagged with that storage
    location, as a machine with that device writes them (torch's ``register_package``)."""
    import contextlib

    import torch

    if not _LOCATION["registered"]:
        torch.serialization.register_package(
            0, lambda storage: _LOCATION["tag"], lambda storage, location: None
        )
        _LOCATION["registered"] = True

    @contextlib.contextmanager
    def tagged(location):
        _LOCATION["tag"] = location
        try:
            yield
        finally:
            _LOCATION["tag"] = None

    return tagged
