import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from sk_prnet import HIGHER, LOWER, SIMILAR, class_ranks, ordinal_relation
from sk_prnet.modules import relation_codes

ratings = st.floats(min_value=-10, max_value=10, allow_nan=False, width=32)
epsilons = st.floats(min_value=0, max_value=5, allow_nan=False)


def test_table_one_conditions():
    y2 = 5.0
    y1 = np.array([4.0, 4.75, 5.0, 5.25, 5.5])
    # 4.75 and 5.25 are exactly at the tolerance: |y1 - y2| <= eps is "similar".
    assert ordinal_relation(y1, y2, epsilon=0.25).tolist() == [
        LOWER,
        SIMILAR,
        SIMILAR,
        SIMILAR,
        HIGHER,
    ]
    assert (LOWER, SIMILAR, HIGHER) == (0, 1, 2)


def test_broadcasts_to_a_pair_matrix():
    y = np.array([1.0, 2.0, 3.0])
    rel = ordinal_relation(y[:, None], y[None, :])
    assert rel.shape == (3, 3)
    np.testing.assert_array_equal(np.diag(rel), SIMILAR)
    assert rel[2, 0] == HIGHER and rel[0, 2] == LOWER


def test_table_three_class_order():
    order = ["negative", "neutral", "positive"]
    y1 = np.array(["negative", "neutral", "positive", "positive"])
    y2 = np.array(["neutral", "neutral", "negative", "positive"])
    rel = ordinal_relation(y1, y2, class_order=order)
    assert rel.tolist() == [LOWER, SIMILAR, HIGHER, SIMILAR]
    # the order decides, not the label values: SEED's -1 < 0 < 1 reversed on purpose
    assert ordinal_relation([1], [-1], class_order=[1, 0, -1]).tolist() == [LOWER]


def test_class_ranks_errors():
    with pytest.raises(ValueError, match="not in class_order"):
        class_ranks([0, 3], [0, 1, 2])
    with pytest.raises(ValueError, match="repeats"):
        class_ranks([0], [0, 0, 1])


@pytest.mark.parametrize("eps", [-0.1, np.nan, np.inf, "0.1", True])
def test_bad_epsilon(eps):
    with pytest.raises(ValueError, match="epsilon"):
        ordinal_relation([1.0], [2.0], epsilon=eps)


def test_non_finite_or_non_numeric_targets():
    with pytest.raises(ValueError, match="finite"):
        ordinal_relation([np.nan], [1.0])
    with pytest.raises(ValueError, match="class_order"):
        ordinal_relation(["a"], ["b"])


@given(y1=ratings, y2=ratings, eps=epsilons)
def test_antisymmetry(y1, y2, eps):
    # swapping the pair mirrors the relation: lower <-> higher, similar stays
    assert ordinal_relation(y1, y2, eps) == 2 - ordinal_relation(y2, y1, eps)


@given(y1=ratings, y2=ratings, eps=epsilons)
def test_similar_iff_within_tolerance(y1, y2, eps):
    d = np.float64(y1) - np.float64(y2)
    assert (ordinal_relation(y1, y2, eps) == SIMILAR) == (abs(d) <= eps)


@given(y=st.lists(ratings, min_size=2, max_size=12), eps=epsilons)
def test_torch_twin_matches_numpy(y, eps):
    # the estimators build pair labels in float64 torch: identical to the numpy reference
    y = np.asarray(y, dtype=np.float64)
    expected = ordinal_relation(y[:, None], y[None, :], epsilon=eps)
    t = torch.as_tensor(y)
    got = relation_codes(t[:, None], t[None, :], eps).numpy()
    np.testing.assert_array_equal(got, expected)
