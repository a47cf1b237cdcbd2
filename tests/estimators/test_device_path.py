"""The batches of every input path: same rows, same order, same pairs; prefetch and resume."""

import threading

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_prnet import PRNetRegressor
from sk_prnet.estimators._batches import (
    BATCH_SOURCES,
    TrainingBatches,
    batch_source,
    counted_pairs,
)  # fmt: skip
from sk_prnet.estimators._loader import Prefetcher, read_rows
from sk_prnet.modules import IGNORE, pair_codes

CPU = torch.device("cpu")


def label_ordered(n=64, shape=(3, 4, 4), seed=0):
    """uint8 images stored in label order (as a cache built class by class would be)."""
    rng = np.random.default_rng(seed)
    X8 = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
    rank = np.sort(rng.uniform(0, 1, size=(n, 1)), axis=0)
    return X8, rank


def epoch(data, seed, batch_size=16, pairing="split", start=0):
    codes_fn = lambda r, g: pair_codes(r, 0.0, pairing, g)  # noqa: E731
    torch.manual_seed(seed)
    return list(data.batches(batch_size, True, codes_fn, start, pairing))


def make(X, rank, groups=None, **kwargs):
    task = torch.as_tensor(rank, dtype=torch.float32)
    g = None if groups is None else torch.as_tensor(groups)
    return TrainingBatches(X, task, torch.as_tensor(rank), g, CPU, **kwargs)


def test_uint8_and_float_paths_give_the_same_pairs():
    # issue 17.1: the uint8 path read each batch in ascending row order and kept it, so on
    # data stored in label order every "split" pair was "x1 lower"
    X8, rank = label_ordered()
    Xf = X8.astype(np.float32) / np.float32(255)
    b8, bf = make(X8, rank), make(Xf, rank)
    assert (b8.source, bf.source) == ("stream", "whole")
    lower = []
    for (x8, t8), (xf, tf) in zip(epoch(b8, 3), epoch(bf, 3), strict=True):
        assert torch.equal(x8, xf)  # the same samples in the same positions
        assert torch.equal(t8["task"], tf["task"])
        assert torch.equal(t8["codes"], tf["codes"])
        lower.append(t8["codes"].eq(0).float().mean())
    # a random order: about half the pairs are "x1 lower", not all of them
    assert 0.2 < float(torch.stack(lower).mean()) < 0.8


@pytest.mark.parametrize("pairing", ["split", "all"])
def test_every_source_yields_identical_batches(pairing):
    X8, rank = label_ordered(n=50)
    Xf = X8.astype(np.float32) / np.float32(255)
    groups = np.arange(50) % 3
    runs = {}
    for source in BATCH_SOURCES:
        X = X8 if source == "stream" else Xf
        data = make(X, rank, groups, source=source, prefetch=2).subset(np.arange(3, 47))
        runs[source] = epoch(data, 7, batch_size=8, pairing=pairing)
    ref = runs["whole"]
    for source in ("gather", "stream"):
        for (x, t), (x0, t0) in zip(runs[source], ref, strict=True):
            assert torch.equal(x, x0)
            assert torch.equal(t["task"], t0["task"])
            assert (t["codes"] is None) == (t0["codes"] is None)
            if t0["codes"] is not None:
                assert torch.equal(t["codes"], t0["codes"])


def test_batch_source_decisions():
    assert batch_source("cpu", 10**12, host_only=False) == "whole"
    assert batch_source("cpu", 10, host_only=True) == "stream"
    assert batch_source("cuda", 10, host_only=True, free_bytes=10**12) == "stream"
    assert batch_source("cuda", 10, host_only=False, free_bytes=None) == "stream"


@given(st.integers(1, 10**12), st.integers(0, 10**12), st.floats(0.01, 1.0))
def test_batch_source_keeps_inputs_on_a_gpu_only_when_they_fit(n_bytes, free, fraction):
    got = batch_source("cuda", n_bytes, host_only=False, free_bytes=free, fraction=fraction)
    assert got == ("gather" if n_bytes <= fraction * free else "stream")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 12), st.sampled_from(["split", "all"]), st.booleans(),
    st.data(),
)  # fmt: skip
def test_counted_pairs_counts_the_codes_that_are_not_ignored(n, pairing, grouped, data):
    groups = None
    if grouped:
        groups = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    rank = torch.rand(n, 2, dtype=torch.float64)
    g = None if groups is None else torch.as_tensor(groups)
    codes = pair_codes(rank, 0.1, pairing, g)
    assert counted_pairs(n, pairing, groups) == int((codes[..., 0] != IGNORE).sum())


class CountingArray(np.ndarray):
    """A uint8 array that records how many rows were read from it."""

    def __getitem__(self, key):
        out = super().__getitem__(key)
        if isinstance(key, np.ndarray) or isinstance(key, slice):
            self.rows_read[0] += len(np.asarray(out))
        return np.asarray(out)


def test_resume_start_skips_batches_unread():
    X8, rank = label_ordered(n=40)
    X = X8.view(CountingArray)
    X.rows_read = [0]
    full = epoch(make(X, rank), 5, batch_size=8)
    assert X.rows_read[0] == 40
    X.rows_read[0] = 0
    tail = epoch(make(X, rank), 5, batch_size=8, start=3)
    assert X.rows_read[0] == 16  # only the last 2 of 5 batches were read
    assert len(tail) == 2
    for (x, t), (x0, t0) in zip(tail, full[3:], strict=True):
        assert torch.equal(x, x0) and torch.equal(t["codes"], t0["codes"])


def test_read_rows_keeps_the_order_asked_for_and_casts_on_the_host():
    X = np.arange(24, dtype=np.float64).reshape(6, 4)
    rows = np.array([4, 0, 5, 2])
    out = read_rows(X, rows)
    assert out.dtype == torch.float32
    np.testing.assert_array_equal(out.numpy(), X[rows])
    out8 = read_rows(X.astype(np.uint8), rows)
    assert out8.dtype == torch.uint8  # 1 byte per value until the device scales it


def test_prefetcher_order_errors_and_early_stop():
    assert list(Prefetcher(lambda i: i * i, range(20), 3)) == [i * i for i in range(20)]
    assert list(Prefetcher(lambda i: i, range(5), 0)) == list(range(5))

    def fail(i):
        if i == 4:
            raise OSError("disk gone")
        return i

    with pytest.raises(OSError, match="disk gone"):
        list(Prefetcher(fail, range(10), 2))
    it = iter(Prefetcher(lambda i: i, range(1000), 2))
    assert next(it) == 0
    it.close()  # a consumer stopping early (max_steps) stops the reader thread
    assert not any(t.name == "sk_prnet-prefetch" for t in threading.enumerate())


def test_prefetch_does_not_change_the_fit():
    X8, _ = label_ordered(n=24, shape=(3, 8, 8))
    y = np.random.default_rng(1).uniform(-1, 1, size=(24, 2))
    kw = dict(module="vgg", module__channels=(4,), batch_size=8, max_epochs=2, device="cpu",
              random_state=0, augment={"hflip": 0.5, "brightness": 0.2})  # fmt: skip
    fits = [PRNetRegressor(prefetch=p, **kw).fit(X8, y) for p in (0, 3)]
    for a, b in zip(fits[0].module_.state_dict().values(), fits[1].module_.state_dict().values()):
        assert torch.equal(a, b)
    assert fits[0].history[:, "train_loss"] == fits[1].history[:, "train_loss"]


@pytest.mark.parametrize("module", ["mlp", "vgg"])
def test_bf16_autocast_trains_to_a_finite_loss_with_float32_weights(module):
    rng = np.random.default_rng(0)
    X = rng.random((24, 3, 8, 8), dtype=np.float32)
    y = rng.uniform(-1, 1, size=(24, 2))
    kw = dict(module__channels=(4,)) if module == "vgg" else {}
    reg = PRNetRegressor(module=module, precision="bf16", batch_size=8, max_epochs=2,
                         device="cpu", random_state=0, **kw).fit(X, y)  # fmt: skip
    assert np.isfinite(reg.history[:, "train_loss"]).all()
    assert all(p.dtype == torch.float32 for p in reg.module_.parameters())
    pred = reg.predict(X)
    assert pred.dtype == np.float64 and np.isfinite(pred).all()
    assert np.isfinite(reg.rank_scores(X)).all()
    fp32 = PRNetRegressor(module=module, batch_size=8, max_epochs=2, device="cpu",
                          random_state=0, **kw).fit(X, y)  # fmt: skip
    # bf16 changes the numbers (that is why it is off by default), not the model
    assert not np.array_equal(fp32.predict(X), pred)
    np.testing.assert_allclose(fp32.predict(X), pred, atol=0.1)
    with pytest.raises(ValueError, match="precision must be one of"):
        PRNetRegressor(precision="fp16", device="cpu").fit(X, y)


def test_channels_last_vgg_gives_the_same_outputs():
    from sk_prnet.modules import VGGBackbone

    torch.manual_seed(0)
    plain = VGGBackbone(3, channels=(4, 8))
    nhwc = VGGBackbone(3, channels=(4, 8), channels_last=True)
    nhwc.load_state_dict(plain.state_dict())
    assert nhwc.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.rand(5, 3, 16, 16)
    torch.testing.assert_close(nhwc(x), plain(x), rtol=1e-5, atol=1e-6)
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (16, 3, 8, 8), dtype=np.uint8), rng.uniform(size=(16, 2))
    kw = dict(module="vgg", module__channels=(4,), batch_size=8, max_epochs=1, device="cpu",
              random_state=0)  # fmt: skip
    a = PRNetRegressor(module__channels_last=True, **kw).fit(X, y)
    b = PRNetRegressor(**kw).fit(X, y)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("pairing", ["split", "all"])
def test_ranknet_masked_loss_equals_the_loss_of_the_counted_pairs(pairing):
    from sk_prnet import RankNetRegressor
    from sk_prnet.modules import ranknet_pairs

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)).astype(np.float32), rng.normal(size=20)
    groups = np.arange(20) % 3
    net = RankNetRegressor(max_epochs=1, device="cpu", random_state=0, pairing=pairing)
    net.fit(X, y, rank_groups=groups)
    scores = torch.randn(12, 2, requires_grad=True)
    codes = pair_codes(torch.rand(12, 2, dtype=torch.float64), 0.1, pairing,
                       torch.as_tensor(np.arange(12) % 3))  # fmt: skip
    masked = net.get_rank_loss((scores,), codes)
    logits, targets = ranknet_pairs(scores, codes, pairing)
    indexed = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
    torch.testing.assert_close(masked, indexed)
    g1 = torch.autograd.grad(masked, scores)[0]
    g2 = torch.autograd.grad(indexed, scores)[0]
    torch.testing.assert_close(g1, g2)


def test_uint8_images_train_exactly_like_their_float_scaling():
    X8, rank = label_ordered(n=32, shape=(3, 8, 8))
    y = np.column_stack([rank[:, 0], -rank[:, 0]])
    kw = dict(module="vgg", module__channels=(4,), batch_size=8, max_epochs=2, device="cpu",
              random_state=0)  # fmt: skip
    a = PRNetRegressor(**kw).fit(X8, y)
    b = PRNetRegressor(**kw).fit(X8.astype(np.float32) / np.float32(255), y)
    assert a.history[:, "train_loss"] == b.history[:, "train_loss"]
