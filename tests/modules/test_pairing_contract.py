"""Pair relation labels at the edges: exactly epsilon apart, groups with every-pair pairing,
and stacked batches (paper Table I: similar when ``|r1 - r2| <= epsilon``)."""

import numpy as np
import torch

from sk_prnet.modules import IGNORE, pair_codes, relation_codes
from sk_prnet.ordinal import ordinal_relation


def test_exactly_epsilon_apart_is_similar_and_just_beyond_is_not():
    eps = 0.25  # exact in binary, so the differences below are exact too
    r1 = torch.tensor([1.25, 1.0, 1.0, 1.5, 1.0, 3.0])
    r2 = torch.tensor([1.0, 1.25, 1.0, 1.0, 1.5, 3.0])
    expected = [1, 1, 1, 2, 0, 1]  # lower 0, similar 1, higher 2
    assert relation_codes(r1, r2, eps).tolist() == expected
    # the torch twin agrees with the numpy definition
    np.testing.assert_array_equal(ordinal_relation(r1.numpy(), r2.numpy(), eps), expected)


def _codes_by_hand(rank, groups, eps):
    n = len(rank)
    out = np.full((n, n), IGNORE)
    for i in range(n):
        for j in range(n):
            if i != j and groups[i] == groups[j]:
                out[i, j] = ordinal_relation(rank[i], rank[j], eps)
    return out


def test_every_pair_pairing_with_groups_counts_only_distinct_pairs_of_one_group():
    rank = np.array([1.0, 2.0, 2.0, 5.0, 0.5, 2.5])
    groups = np.array([0, 0, 1, 1, 0, 1])
    codes = pair_codes(torch.tensor(rank)[:, None], 0.25, "all", torch.tensor(groups))
    np.testing.assert_array_equal(codes[..., 0].numpy(), _codes_by_hand(rank, groups, 0.25))


def test_a_stack_of_batches_gets_each_batchs_own_labels():
    rng = np.random.default_rng(0)
    rank = torch.tensor(rng.integers(0, 4, size=(3, 6, 2)).astype(np.float64))
    groups = torch.tensor(rng.integers(0, 2, size=(3, 6)))
    for pairing in ("split", "all"):
        stacked = pair_codes(rank, 0.5, pairing, groups)
        for b in range(3):
            alone = pair_codes(rank[b], 0.5, pairing, groups[b])
            assert torch.equal(stacked[b], alone), pairing


def test_pair_logits_default_to_the_papers_split_pairing():
    from sk_prnet.modules import PairHead, pair_logits

    torch.manual_seed(0)
    head = PairHead(4, n_targets=2)
    e = torch.randn(6, 4)
    # the first half against the second half
    assert pair_logits(head, e).shape == (3, 3, 2, 3)
    expected = head(e[:3].repeat_interleave(3, 0), e[3:].repeat(3, 1)).reshape(3, 3, 2, 3)
    torch.testing.assert_close(pair_logits(head, e), expected)


def test_ranking_loss_of_a_hidden_head_with_or_without_the_projection():
    import torch.nn.functional as F

    from sk_prnet.modules import PairHead, ranking_loss

    torch.manual_seed(1)
    head = PairHead(4, n_targets=2, hidden=5)
    e = torch.randn(5, 4)
    rank = torch.tensor([[1.0, 2.0], [1.0, 0.0], [3.0, 2.0], [0.0, 2.0], [2.0, 1.0]])
    codes = pair_codes(rank, 0.5, "all")
    # by hand: each ordered pair (i != j) through the head, mean cross-entropy
    losses = [F.cross_entropy(head(e[i : i + 1], e[j : j + 1])[0], codes[i, j])
              for i in range(5) for j in range(5) if i != j]  # fmt: skip
    expected = torch.stack(losses).mean()
    torch.testing.assert_close(ranking_loss(head, e, codes, "all"), expected)
    torch.testing.assert_close(ranking_loss(head, e, codes, "all", head.sides(e)), expected)


def test_an_unknown_pairing_is_refused_with_the_choices():
    import pytest

    from sk_prnet.modules import PairHead, ranking_loss

    head = PairHead(4, n_targets=1)
    codes = torch.zeros(2, 2, 1, dtype=torch.long)
    message = r"pairing must be one of \('split', 'all'\), got 'pairs'"
    with pytest.raises(ValueError, match=message):
        ranking_loss(head, torch.randn(4, 4), codes, "pairs")


def test_soft_relation_targets_are_probabilities_that_harden_as_tau_shrinks():
    import math

    from sk_prnet.modules.pairing import soft_relation_targets

    eps = 0.5
    r1 = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)
    r2 = torch.tensor([0.0, 0.25, 0.5, 1.0, 2.0, 2.75], dtype=torch.float64)
    for tau in (1e-3, 0.1, 1.0, 10.0):
        p = soft_relation_targets(r1, r2, eps, tau)
        assert p.shape == (3, 6, 3) and bool((p >= 0).all())
        torch.testing.assert_close(p.sum(-1), torch.ones(3, 6, dtype=torch.float64))
        # swapping the members swaps "lower" and "higher"
        torch.testing.assert_close(soft_relation_targets(r2, r1, eps, tau), p.flip(-1))
    # tau -> 0: relation_codes' one-hot labels off the boundary, halves on it
    p = soft_relation_targets(r1, r2, eps, 1e-4)
    d = r1 - r2
    off = (d.abs() - eps).abs() > 1e-9
    hard = _one_hot(relation_codes(r1, r2, eps))
    torch.testing.assert_close(p[off], hard[off])
    on = p[~off]
    assert len(on) and torch.allclose(on.sort(-1).values, torch.tensor([0.0, 0.5, 0.5]).double())
    # by hand: d = eps + tau ln 3 gives P(higher) = sigmoid(ln 3) = 3/4, P(lower) ~ 0
    tau = 0.01
    p = soft_relation_targets(torch.tensor(eps + tau * math.log(3)), torch.tensor(0.0), eps, tau)
    torch.testing.assert_close(p, torch.tensor([0.0, 0.25, 0.75]), atol=1e-6, rtol=0)
    # epsilon 0: never similar; P(higher) = sigmoid(d / tau)
    d = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0], dtype=torch.float64)
    p = soft_relation_targets(d, torch.zeros(()), 0.0, 2.0)
    expected = torch.stack([torch.sigmoid(-d / 2), torch.zeros(5), torch.sigmoid(d / 2)], -1)
    torch.testing.assert_close(p, expected.double())


def _one_hot(codes):
    return torch.nn.functional.one_hot(codes, 3).double()


def test_class_first_nll_and_pair_weights_defaults_are_the_mean_and_the_split_pairing():
    import torch.nn.functional as F

    from sk_prnet.modules.pairing import class_first_nll, pair_weights

    torch.manual_seed(2)
    logits = torch.randn(3, 4, 5, 2)  # classes first, then (N_a, N_b, n_targets)
    target = torch.randint(0, 3, (40,))
    target[::7] = IGNORE
    # the mean cross-entropy of the counted elements, classes moved last
    flat = logits.permute(1, 2, 3, 0).reshape(-1, 3)
    kept = target != IGNORE
    expected = F.cross_entropy(flat[kept], target[kept])
    torch.testing.assert_close(class_first_nll(logits, target), expected)
    # pair weights: first half against second half, zero where the pair is ignored
    w = torch.tensor([1.0, 2.0, 3.0, 5.0, 7.0, 11.0])
    codes = torch.ones(3, 3, 1, dtype=torch.long)
    codes[0, 2, 0] = IGNORE
    by_hand = torch.tensor([[5.0, 7.0, 0.0], [10.0, 14.0, 22.0], [15.0, 21.0, 33.0]])
    torch.testing.assert_close(pair_weights(w, codes)[..., 0], by_hand)
