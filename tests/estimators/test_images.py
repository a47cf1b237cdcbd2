"""Image inputs: uint8 / memory-mapped arrays, max_steps, augmentation only while training."""

import numpy as np
import pytest

from sk_prnet import PRNetClassifier, PRNetRegressor

TINY_VGG = dict(module="vgg", module__channels=(4, 8), batch_size=8, device="cpu", random_state=0)


@pytest.fixture
def memmap_images(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npy"
    images = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(20, 3, 16, 16))
    images[:] = rng.integers(0, 256, size=images.shape, dtype=np.uint8)
    images.flush()
    del images
    return np.load(path, mmap_mode="r"), rng.uniform(-1, 1, size=(20, 2))


def test_uint8_memmap_trains_without_converting_the_array(memmap_images):
    X, y = memmap_images
    reg = PRNetRegressor(max_epochs=2, **TINY_VGG).fit(X, y)
    assert isinstance(X, np.memmap) and X.dtype == np.uint8  # the user's array is untouched
    # uint8 inputs are scaled by 1/255 on the device: the same as passing floats in [0, 1]
    np.testing.assert_allclose(reg.predict(X), reg.predict(np.asarray(X) / np.float32(255)))
    assert reg.predict(X).shape == (20, 2)
    with pytest.raises(ValueError, match=r"samples of shape \(3, 8, 8\)"):
        reg.predict(np.zeros((2, 3, 8, 8), dtype=np.uint8))


def test_max_steps_replaces_max_epochs(memmap_images):
    X, y = memmap_images
    reg = PRNetRegressor(max_epochs=50, max_steps=5, **TINY_VGG).fit(X, y)
    assert reg.steps_ == 5  # 3 batches an epoch: 2 epochs, the second cut short
    assert len(reg.history) == 2
    reg.partial_fit(X, y)
    assert reg.steps_ == 10
    with pytest.raises(ValueError, match="max_steps must be"):
        PRNetRegressor(max_steps=0).fit(np.zeros((4, 2)), np.zeros(4))


class CountingAugment:
    def __init__(self):
        self.calls = 0

    def __call__(self, batch):
        self.calls += 1
        return batch.flip(-1)


def test_augmentation_runs_on_training_batches_only(memmap_images):
    X, y = memmap_images
    aug = CountingAugment()
    reg = PRNetRegressor(max_epochs=2, augment=aug, **TINY_VGG).fit(X, y)
    assert aug.calls == reg.steps_ == 2 * 3
    first = reg.predict(X)
    np.testing.assert_array_equal(first, reg.predict(X))
    assert aug.calls == 6  # predict never augments


def test_paper_augmentation_is_seeded():
    pytest.importorskip("kornia")
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, size=(16, 3, 16, 16), dtype=np.uint8)
    y = np.tile([0, 1], 8)
    kw = dict(TINY_VGG, max_epochs=2, augment="paper")
    a = PRNetClassifier(**kw).fit(X, y).predict_proba(X)
    b = PRNetClassifier(**kw).fit(X, y).predict_proba(X)
    c = PRNetClassifier(**dict(kw, augment=None)).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


class CrashAt:
    """A callback that kills the fit (like a SIGKILL would) after ``step`` steps."""

    def __init__(self, step):
        self.step = step

    def __call__(self, net):
        if net.steps_ == self.step:
            raise RuntimeError("simulated crash")


@pytest.mark.parametrize("augment", [None, "paper"])
@pytest.mark.parametrize("crash_step", [4, 6])  # mid-epoch, and exactly at an epoch's end
def test_checkpoint_resume_continues_identically(
    memmap_images, tmp_path, augment, crash_step, batch_counter
):
    from skorch.callbacks import Callback

    if augment:
        pytest.importorskip("kornia")

    class Crash(Callback):
        def on_batch_end(self, net, **kwargs):
            CrashAt(crash_step)(net)

    X, y = memmap_images
    kw = dict(TINY_VGG, max_steps=9, checkpoint_every=2, augment=augment)
    reference = PRNetRegressor(**kw).fit(X, y)
    killed = PRNetRegressor(checkpoint_dir=tmp_path, callbacks=[Crash()], **kw)
    with pytest.raises(RuntimeError, match="simulated crash"):
        killed.fit(X, y)
    assert (tmp_path / "sk_prnet_checkpoint.pt").exists()

    counter = batch_counter
    resumed = PRNetRegressor(checkpoint_dir=tmp_path, callbacks=[counter], **kw).fit(X, y)
    # it resumed (only the steps after the checkpoint ran), and continued identically
    assert counter.n == 9 - crash_step
    assert resumed.steps_ == reference.steps_ == 9
    np.testing.assert_array_equal(resumed.predict(X), reference.predict(X))
    assert not (tmp_path / "sk_prnet_checkpoint.pt").exists()  # removed when complete


def test_checkpoint_of_another_run_is_refused(memmap_images, tmp_path):
    from skorch.callbacks import Callback

    class Crash(Callback):
        def on_batch_end(self, net, **kwargs):
            CrashAt(2)(net)

    X, y = memmap_images
    kw = dict(TINY_VGG, max_steps=4, checkpoint_every=1, checkpoint_dir=tmp_path)
    with pytest.raises(RuntimeError):
        PRNetRegressor(callbacks=[Crash()], **kw).fit(X, y)
    with pytest.raises(ValueError, match="other parameters or data"):
        PRNetRegressor(**dict(kw, lr=0.5)).fit(X, y)
