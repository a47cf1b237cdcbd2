"""Memory: inputs never copied whole where avoidable; inference in blocks sized from memory."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from skorch.dataset import ValidSplit

from sk_prnet import PRNetClassifier, PRNetRegressor
from sk_prnet.estimators._batches import TrainingBatches
from sk_prnet.estimators._inference import chunk_sizes
from sk_prnet.estimators._loader import predict_batch_size


@pytest.fixture
def float_memmap(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    return np.load(tmp_path / "X.npy", mmap_mode="r"), X, X @ np.array([1.0, -1, 0.5, 0, 0])


def test_a_float_memmap_is_streamed_and_trains_like_the_array(float_memmap):
    Xm, X, y = float_memmap
    t = torch.zeros(60, 1)
    assert TrainingBatches(Xm, t, t.double(), None, torch.device("cpu")).source == "stream"
    assert TrainingBatches(X, t, t.double(), None, torch.device("cpu")).source == "whole"
    kw = dict(max_epochs=3, batch_size=16, device="cpu", random_state=0)
    a, b = PRNetRegressor(**kw).fit(Xm, y), PRNetRegressor(**kw).fit(X, y)
    np.testing.assert_array_equal(a.predict(Xm), b.predict(X))


def test_float64_inputs_train_like_their_float32_cast(float_memmap):
    _, X, y = float_memmap
    kw = dict(max_epochs=2, batch_size=16, device="cpu", random_state=0)
    a = PRNetRegressor(**kw).fit(X.astype(np.float64), y)
    b = PRNetRegressor(**kw).fit(X, y)
    np.testing.assert_array_equal(a.predict(X.astype(np.float64)), b.predict(X))


def test_validation_split_shares_the_inputs():
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    t = torch.arange(40.0)[:, None]
    data = TrainingBatches(X, t, t.double(), None, torch.device("cpu"))
    train, valid = data.subset(np.arange(30)), data.subset(np.arange(30, 40))
    # no copy of the inputs per subset: rows index into the one tensor
    assert train.inputs.data_ptr() == valid.inputs.data_ptr() == data.inputs.data_ptr()
    torch.manual_seed(0)
    got = torch.cat([x for x, _ in valid.batches(4, False)])
    np.testing.assert_array_equal(got.numpy(), X[30:])


def test_fit_with_train_split_records_valid_loss(float_memmap):
    _, X, y = float_memmap
    reg = PRNetRegressor(max_epochs=2, batch_size=16, device="cpu", random_state=0,
                         train_split=ValidSplit(4)).fit(X, y)  # fmt: skip
    assert np.isfinite(reg.history[:, "valid_loss"]).all()


@given(
    st.integers(1, 10**7), st.integers(1, 10**7), st.integers(1, 10**4),
    st.one_of(st.none(), st.integers(0, 2**40)),
)  # fmt: skip
def test_chunk_sizes_stay_within_the_budget(n_a, n_b, per_item, free):
    c_a, c_b = chunk_sizes(n_a, n_b, per_item, free, cpu_bytes=2**24)
    budget = 2**24 if free is None else int(0.25 * free)
    assert 1 <= c_a <= n_a and 1 <= c_b <= n_b
    if per_item <= budget:  # a block of one pair always fits
        assert c_a * c_b * per_item <= budget
    if n_b * per_item <= budget:  # the reference is only split when it must be
        assert c_b == n_b


@pytest.mark.parametrize("hidden", [None, 6])
def test_rank_scores_in_blocks_equal_the_unchunked_computation(eeg_like, hidden):
    X, y, ratings, _ = eeg_like
    clf = PRNetClassifier(max_epochs=2, batch_size=32, device="cpu", random_state=0,
                          module__ranking_hidden=hidden)  # fmt: skip
    clf.fit(X, y, ranking_target=ratings)
    with torch.inference_mode():
        sides_x, sides_r = clf._pair_sides(X[:37]), clf._pair_sides(X[50:])
        n, m = 37, len(X) - 50
        for exclude_self, sr, m_ in ((True, sides_x, n), (False, sides_r, m)):
            whole = clf._chunked_borda(sides_x, sr, exclude_self, n, ref_chunk=m_)
            for ca, cb in ((1, 1), (5, 7), (37, 4), (2, m_)):
                blocks = clf._chunked_borda(sides_x, sr, exclude_self, ca, ref_chunk=cb)
                np.testing.assert_allclose(blocks, whole, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        clf.rank_scores(X, chunk_size=7), clf.rank_scores(X), rtol=1e-6, atol=1e-9
    )


def test_batch_size_predict(eeg_like):
    X, y, ratings, _ = eeg_like
    assert predict_batch_size(None, 40) > 40
    clf = PRNetClassifier(max_epochs=1, batch_size=32, device="cpu", random_state=0)
    clf.fit(X, y, ranking_target=ratings)
    ref_proba, ref_cmp = clf.predict_proba(X), clf.compare(X[:50], X[50:100])
    clf.set_params(batch_size_predict=7)
    np.testing.assert_allclose(clf.predict_proba(X), ref_proba, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(clf.compare(X[:50], X[50:100]), ref_cmp, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="batch_size_predict must be"):
        PRNetClassifier(batch_size_predict=0, device="cpu").fit(X, y)
