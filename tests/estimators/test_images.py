"""Image inputs: uint8 / memory-mapped arrays, max_steps, augmentation only while training."""

import numpy as np
import pytest
import torch

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
    assert torch.get_num_threads() >= 1
