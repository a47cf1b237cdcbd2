import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sk_prnet.modules import (
    IGNORE,
    MLPBackbone,
    PairHead,
    VGGBackbone,
    build_backbone,
    build_prnet,
    embedding_size,
    pair_codes,
    pair_logits,
    ranking_loss,
)
from sk_prnet.ordinal import ordinal_relation


def explicit_pair_logits(head, e1, e2):
    """The unfactorized reference: materialize [e1; e2] for every pair, apply Linear(2d, m)."""
    d = e1.shape[1]
    weight, bias = head.first_layer()  # (m, 2d): W [e1; e2] = W1 e1 + W2 e2
    assert weight.shape == (head.n_targets * head.width, 2 * d)
    pairs = torch.cat(
        [e1[:, None, :].expand(-1, len(e2), d), e2[None, :, :].expand(len(e1), -1, d)], dim=-1
    )
    pre = (pairs @ weight.T + bias).unflatten(-1, (head.n_targets, head.width))
    if head.hidden is None:
        return pre
    return torch.einsum("abth,thc->abtc", torch.relu(pre), head.out_weight) + head.out_bias


@pytest.mark.parametrize("hidden", [None, 16])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_factorized_head_equals_explicit_concatenation(hidden, n_targets):
    torch.manual_seed(0)
    head = PairHead(12, n_targets, hidden=hidden).double()
    with torch.no_grad():  # a trained head has both bias halves non-zero
        head.sides.bias.uniform_(-1, 1)
    e1, e2 = torch.randn(5, 12, dtype=torch.float64), torch.randn(7, 12, dtype=torch.float64)
    a, _ = head.project(e1)
    _, b = head.project(e2)
    fact = head.pair_logits(a, b)
    assert fact.shape == (5, 7, n_targets, 3)
    torch.testing.assert_close(fact, explicit_pair_logits(head, e1, e2), rtol=1e-12, atol=1e-12)
    # the row-aligned version used by compare() is the diagonal of the pair matrix
    rows = head(e1, e2[:5])
    torch.testing.assert_close(
        rows, torch.diagonal(explicit_pair_logits(head, e1, e2[:5])).permute(2, 0, 1)
    )


def test_pair_head_init_matches_linear_on_concatenation():
    head = PairHead(50, 1)
    bound = (2 * 50) ** -0.5  # nn.Linear(100, 3)'s bound
    weight, bias = head.first_layer()
    assert weight.shape == (3, 100)
    assert weight.abs().max() <= bound and bias.abs().max() <= bound


def test_no_quadratic_times_embedding_tensor_is_saved():
    """Memory: nothing of size N_a * N_b * d is kept for backward (nor the concatenation)."""
    torch.manual_seed(0)
    n, d = 64, 256
    head = PairHead(d, 2)
    emb = torch.randn(n, d, requires_grad=True)
    codes = pair_codes(torch.rand(n, 2, dtype=torch.float64), 0.1)
    sizes = []
    with torch.autograd.graph.saved_tensors_hooks(
        lambda t: sizes.append(t.numel()) or t, lambda t: t
    ):
        loss = ranking_loss(head, emb, codes)
    loss.backward()
    half = n // 2
    assert max(sizes) < half * half * d  # largest is the (32, 32, 2, 3) logits
    assert max(sizes) <= max(half * half * 2 * 3, n * d)


def test_pair_codes_split_layout_and_groups():
    rank = torch.tensor([[1.0], [5.0], [3.0], [5.1]], dtype=torch.float64)
    codes = pair_codes(rank, 0.25, "split")
    # first half (1.0, 5.0) against second half (3.0, 5.1)
    expected = ordinal_relation(np.array([1.0, 5.0])[:, None], np.array([3.0, 5.1])[None, :], 0.25)
    np.testing.assert_array_equal(codes[..., 0].numpy(), expected)
    groups = torch.tensor([0, 1, 0, 0])
    masked = pair_codes(rank, 0.25, "split", groups)[..., 0]
    assert masked[1].tolist() == [IGNORE, IGNORE]  # sample 1 is alone in group 1
    assert masked[0].tolist() == expected[0].tolist()


def test_pair_codes_all_ignores_diagonal_and_handles_stacked_batches():
    rank = torch.rand(3, 6, 2, dtype=torch.float64)
    codes = pair_codes(rank, 0.1, "all")
    assert codes.shape == (3, 6, 6, 2)
    assert (torch.diagonal(codes, dim1=1, dim2=2) == IGNORE).all()
    one = pair_codes(rank[1], 0.1, "all")
    torch.testing.assert_close(codes[1], one)
    with pytest.raises(ValueError, match="pairing"):
        pair_codes(rank, 0.1, "random")


def test_ranking_loss_is_mean_cross_entropy_over_pairs_and_targets():
    torch.manual_seed(1)
    head = PairHead(8, 2)
    emb = torch.randn(10, 8)
    rank = torch.rand(10, 2, dtype=torch.float64)
    codes = pair_codes(rank, 0.2, "all")
    logits = pair_logits(head, emb, "all")
    off = ~torch.eye(10, dtype=torch.bool)
    per_target = [F.cross_entropy(logits[..., t, :][off], codes[..., t][off]) for t in range(2)]
    # every target sees the same pairs: the overall mean is the mean of the per-target means
    torch.testing.assert_close(ranking_loss(head, emb, codes, "all"), sum(per_target) / 2)


def test_named_backbones_and_shapes():
    mlp = build_backbone("mlp", (100,))
    assert isinstance(mlp, MLPBackbone) and embedding_size(mlp, (100,)) == 128
    assert embedding_size(build_backbone("mlp", (4, 5), hidden_sizes=(7,)), (4, 5)) == 7
    vgg = build_backbone("vgg", (3, 96, 96))
    assert isinstance(vgg, VGGBackbone)
    assert embedding_size(vgg, (3, 96, 96)) == 512 * 3 * 3
    small = build_backbone("vgg", (1, 32, 32), channels=(4, 8))
    assert embedding_size(small, (1, 32, 32)) == 8 * 8 * 8


class TinyNet(nn.Module):
    def __init__(self, width=5):
        super().__init__()
        self.lin = nn.Linear(3, width)

    def forward(self, x):
        return self.lin(x)


def test_user_module_class_and_instance_embedding_inferred():
    net = build_prnet(TinyNet, (3,), n_task_outputs=2, n_targets=1, width=9)
    assert net.pair_head.sides.in_features == 9
    out, emb = net(torch.randn(4, 3))
    assert out.shape == (4, 2) and emb.shape == (4, 9)
    inst = TinyNet(4)
    assert build_prnet(inst, (3,), 1, 1).backbone is inst
    with pytest.raises(ValueError, match="instance"):
        build_backbone(inst, (3,), width=3)


def test_backbone_errors_are_clear():
    with pytest.raises(ValueError, match="Unknown module 'resnet'"):
        build_backbone("resnet", (3,))
    with pytest.raises(ValueError, match="images"):
        build_backbone("vgg", (100,))
    with pytest.raises(ValueError, match=r"\(n_samples, d\)"):
        embedding_size(nn.Conv2d(3, 2, 3), (3, 8, 8))
    with pytest.raises(ValueError, match="failed on input"):
        embedding_size(TinyNet(), (4,))


@pytest.mark.parametrize("task_hidden", [None, 8])
@pytest.mark.parametrize("pairing", ["split", "all"])
def test_forward_with_projection_matches_separate_heads(task_hidden, pairing):
    """The joint task/pair first layer (one matmul) gives the same outputs, loss and grads."""
    torch.manual_seed(0)
    module = build_prnet("mlp", (6,), 4, 2, task_hidden=task_hidden).double()
    x = torch.randn(10, 6, dtype=torch.float64)
    codes = pair_codes(torch.randn(10, 2, dtype=torch.float64), 0.3, pairing)
    task, emb = module(x)
    task_j, emb_j, proj = module.forward_with_projection(x)
    torch.testing.assert_close(task_j, task)
    torch.testing.assert_close(emb_j, emb)
    torch.testing.assert_close(proj, module.pair_head.sides(emb))
    params = list(module.parameters())
    ref = ranking_loss(module.pair_head, emb, codes, pairing) + task.square().mean()
    new = ranking_loss(module.pair_head, emb_j, codes, pairing, proj) + task_j.square().mean()
    torch.testing.assert_close(new, ref)
    for g_new, g_ref in zip(torch.autograd.grad(new, params), torch.autograd.grad(ref, params)):
        torch.testing.assert_close(g_new, g_ref)


@pytest.mark.parametrize("pairing", ["split", "all"])
@pytest.mark.parametrize("n", [9, 10])
@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("joint", [False, True])
def test_class_first_ranking_loss_equals_pair_logits_cross_entropy(pairing, n, n_targets, joint):
    """The single-layer head's strided, class-first loss against the plain construction:
    pair_logits (N_a, N_b, T, 3) and one cross-entropy over the counted (pair, target)s;
    with an odd batch, groups (ignored pairs) and the projection as a column slice of a
    joint output (non-zero storage offset, row stride wider than the slice)."""
    torch.manual_seed(n + n_targets)
    head = PairHead(6, n_targets).double()
    emb = torch.randn(n, 6, dtype=torch.float64, requires_grad=True)
    rank = torch.randn(n, n_targets, dtype=torch.float64)
    groups = torch.tensor([i % 3 for i in range(n)])
    codes = pair_codes(rank, 0.3, pairing, groups)
    projection = None
    if joint:  # as forward_with_projection returns it
        extra = torch.randn(n, 4, dtype=torch.float64, requires_grad=True)
        projection = torch.cat([extra, head.sides(emb)], dim=1)[:, 4:]
    loss = ranking_loss(head, emb, codes, pairing, projection)
    ref_logits = pair_logits(head, emb, pairing)
    ref = F.cross_entropy(ref_logits.reshape(-1, 3), codes.reshape(-1), ignore_index=IGNORE)
    torch.testing.assert_close(loss, ref, rtol=1e-12, atol=1e-12)
    params = [emb, *head.parameters()]
    for g, g_ref in zip(torch.autograd.grad(loss, params), torch.autograd.grad(ref, params)):
        torch.testing.assert_close(g, g_ref, rtol=1e-12, atol=1e-12)
