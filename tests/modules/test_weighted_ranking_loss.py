"""The weighted ranking loss against an explicit loop over pairs (hypothesis)."""

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_prnet.modules import IGNORE, PairHead, pair_codes, pair_logits, ranking_loss


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(4, 9),
    n_targets=st.integers(1, 3),
    pairing=st.sampled_from(["split", "all"]),
    hidden=st.sampled_from([None, 5]),
    per_target=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_weighted_ranking_loss_is_the_mean_of_pair_weight_times_loss(
    n, n_targets, pairing, hidden, per_target, seed
):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    head = PairHead(4, n_targets, hidden=hidden).double()
    emb = torch.randn(n, 4, dtype=torch.float64, generator=gen)
    rank = torch.randint(0, 4, (n, n_targets), generator=gen).double()
    groups = torch.randint(0, 2, (n,), generator=gen)
    w = torch.randint(0, 4, (n, n_targets if per_target else 1), generator=gen).double()
    codes = pair_codes(rank, 0.5, pairing, groups)
    if int((codes[..., 0] != IGNORE).sum()) < 2:
        return  # the estimators skip such batches
    loss = ranking_loss(head, emb, codes, pairing, weight=w)

    logits = pair_logits(head, emb, pairing)
    first = range(n // 2) if pairing == "split" else range(n)
    total, count = 0.0, 0
    for a in first:
        for b in range(codes.shape[1]):
            i, j = (a, n // 2 + b) if pairing == "split" else (a, b)
            for t in range(n_targets):
                if codes[a, b, t] == IGNORE:
                    continue
                wt = t if per_target else 0
                ce = F.cross_entropy(logits[a, b, t][None], codes[a, b, t][None])
                total = total + w[i, wt] * w[j, wt] * ce
                count += 1
    torch.testing.assert_close(loss, total / count)
    # unit weights are the unweighted loss
    ones = ranking_loss(head, emb, codes, pairing, weight=torch.ones(n, dtype=torch.float64))
    torch.testing.assert_close(ones, ranking_loss(head, emb, codes, pairing))
