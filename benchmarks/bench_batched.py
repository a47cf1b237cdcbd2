"""Batched training (``fit_batched``) against fitting the same networks one by one.

Run by hand (not part of the test suite); results go to docs/performance.md::

    python benchmarks/bench_batched.py                    # M = 10, 20, 64; 20 epochs
    python benchmarks/bench_batched.py --models 20 --epochs 5 --threads 2
    python benchmarks/bench_batched.py --models 10 --epochs 1 --threads 2 --compile

The paper's EEG configuration: per network one DEAP-like fold (36 training trials x 29
windows = 1044 samples, 100 features, arousal and valence as 2 binary outputs ranked by
their 1-9 ratings), MLP 128-128, batch 40, SGD(lr 1e-3, momentum 0.9, weight decay 5e-4),
``alpha`` alternating 0 and 1 (Table IV), each network its own data and seed. In one run:
the one-by-one fits (each timed; the sequential time of M networks is the sum of their
fits), then ``fit_batched`` for each M, the weights' largest relative difference between
the two, the arithmetic rate reached (GFLOP/s of the matmuls of forward and backward) and
the machine's float32 matmul peak measured on a 2048 x 2048 product.
"""

import argparse
import os
import platform
import time

import numpy as np
import torch

from sk_prnet import PRNetClassifier, fit_batched

N, P, HIDDEN, OUT = 1044, 100, 128, 2 * 2 + 2 * 2 * 3  # task logits, then 2 pair sides


def fold(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, P)).astype(np.float32)
    ratings = np.clip(5 + 2 * X[:, :2] + rng.normal(size=(N, 2)), 1, 9)
    return X, (ratings > 5).astype(np.int64), ratings


def estimators(m, epochs):
    return [
        PRNetClassifier(max_epochs=epochs, alpha=float(i % 2), random_state=i, device="cpu")
        for i in range(m)
    ]


def matmul_peak(repeats=5):
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * 2048**3 / best / 1e9


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def step_flops(alpha):
    """Matmul FLOPs of one training step of one network (batch 40): forward, the weights'
    gradients, and the inputs' gradients of all layers but the first."""
    b, out = 40, (OUT if alpha else 4)
    fwd = 2 * b * (P * HIDDEN + HIDDEN * HIDDEN + HIDDEN * out)
    back = fwd + 2 * b * (HIDDEN * HIDDEN + HIDDEN * out)
    return fwd + back


def largest_difference(a, b):
    worst = 0.0
    for p, q in zip(a.module_.parameters(), b.module_.parameters()):
        p, q = p.detach(), q.detach()
        worst = max(worst, float((p - q).abs().max() / q.abs().max()))
    return worst


def vmap_versus_bmm(m=20, repeats=200):
    """Forward + backward of the MLP's task loss for ``m`` networks: torch.func (vmap over
    stacked module states) against hand-batched ``baddbmm`` layers (what fit_batched
    uses). Milliseconds a step, best of ``repeats``."""
    import torch.nn.functional as F
    from torch import nn
    from torch.func import functional_call, grad, stack_module_state, vmap

    nets = [
        nn.Sequential(nn.Linear(P, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                      nn.Linear(HIDDEN, 4))
        for _ in range(m)
    ]  # fmt: skip
    params, _ = stack_module_state(nets)
    x, y = torch.randn(m, 40, P), torch.randint(0, 2, (m, 40, 2))

    def loss(p, xb, yb):
        out = functional_call(nets[0], p, (xb,)).view(40, 2, 2)
        return F.cross_entropy(out.reshape(-1, 2), yb.reshape(-1))

    per_model = vmap(grad(loss))
    weights = [params[k].transpose(1, 2).contiguous().requires_grad_() if k.endswith(
        "weight") else params[k].clone().requires_grad_() for k in params]  # fmt: skip

    def batched():
        h = x
        for i in range(0, 6, 2):
            h = torch.baddbmm(weights[i + 1].unsqueeze(1), h, weights[i])
            h = torch.relu(h) if i < 4 else h
        logp = F.log_softmax(h.view(m, 40, 2, 2), -1)
        (-logp.gather(-1, y.unsqueeze(-1)).sum() / 80).backward()

    times = {}
    for name, fn in (("vmap", lambda: per_model(params, x, y)), ("bmm", batched)):
        fn()
        times[name] = min(_timed(fn) for _ in range(repeats)) * 1e3
    return times


def compiled_versus_eager(m=20, ranked=10, repeats=300):
    """Forward + backward of one batched step (the engine's ops: 2 hidden layers, task loss,
    ranking loss of ``ranked`` networks, split pairs) on random data, eager against
    ``torch.compile`` (inductor, default mode). Milliseconds a step, and the compile time."""
    import torch.nn.functional as F

    torch.manual_seed(0)
    n, t = 40, 2
    half = n // 2
    shapes = [(m, P, HIDDEN), (m, HIDDEN), (m, HIDDEN, HIDDEN), (m, HIDDEN), (m, HIDDEN, 2 * t),
              (m, 2 * t), (m, HIDDEN, 6 * t), (m, 6 * t)]  # fmt: skip
    params = [(torch.randn(s) * 0.1).requires_grad_() for s in shapes]
    x, task_w = torch.randn(m, n, P), torch.rand(2, m, n, t) / n
    pair_w = torch.rand(ranked, half, half, t) / half**2
    relation = torch.randint(0, 3, (1, ranked, half, half, t))

    def loss(W1, b1, W2, b2, Wt, bt, Ws, bs):
        h = torch.relu(torch.baddbmm(b1.unsqueeze(1), x, W1))
        h = torch.relu(torch.baddbmm(b2.unsqueeze(1), h, W2))
        logits = torch.baddbmm(bt.unsqueeze(1), h, Wt).unflatten(-1, (t, 2)).permute(3, 0, 1, 2)
        task = -(F.log_softmax(logits, 0) * task_w).sum((0, 2, 3))
        proj = torch.baddbmm(bs.unsqueeze(1), h, Ws)[:ranked]
        a = proj[:, :half, : 3 * t].unflatten(-1, (t, 3)).permute(3, 0, 1, 2)
        b = proj[:, half:, 3 * t :].unflatten(-1, (t, 3)).permute(3, 0, 1, 2)
        picked = F.log_softmax(a.unsqueeze(3) + b.unsqueeze(2), 0).gather(0, relation)[0]
        ranking = (picked * pair_w).sum((1, 2, 3))
        return (task + F.pad(ranking, (0, m - ranked))).sum()

    def step(fn):
        for p in params:
            p.grad = None
        fn(*params).backward()

    def timed(fn):
        for _ in range(20):
            step(fn)
        return min(_timed(lambda: step(fn)) for _ in range(repeats)) * 1e3

    eager = timed(loss)
    compiled = torch.compile(loss)
    took = _timed(lambda: step(compiled))
    return {"eager": eager, "compiled": timed(compiled), "compile_s": took}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[10, 20, 64])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--vmap", action="store_true", help="also time torch.func's vmap")
    parser.add_argument("--compile", action="store_true",
                        help="also time the step compiled with torch.compile")  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, {args.threads} torch thread(s), load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    peak = matmul_peak()
    print(f"float32 matmul peak (2048^2): {peak:.1f} GFLOP/s")
    m_max = max(args.models)
    data = [fold(i) for i in range(m_max)]
    steps = -(-N // 40) * args.epochs
    flops = [step_flops(i % 2) * steps for i in range(m_max)]

    warm = estimators(1, 1)[0]  # first-call costs (imports, allocator) out of the timings
    warm.fit(*data[0][:2], ranking_target=data[0][2])
    fit_batched(
        [warm], [data[0][0]], [data[0][1]], fit_params_list=[{"ranking_target": data[0][2]}]
    )
    one_by_one = estimators(m_max, args.epochs)
    fit_times = [
        _timed(lambda e=e, d=d: e.fit(d[0], d[1], ranking_target=d[2]))
        for e, d in zip(one_by_one, data)
    ]
    seq_rate = sum(flops) / sum(fit_times) / 1e9
    print(
        f"one by one: {np.mean(fit_times):.2f} s a fit, {np.mean(fit_times) / steps * 1e3:.2f} "
        f"ms a step, {seq_rate:.1f} GFLOP/s"
    )
    print(f"{'M':>4} {'one by one':>11} {'batched':>9} {'ratio':>6} {'GFLOP/s':>8} {'% peak':>7}")
    for m in args.models:
        nets = estimators(m, args.epochs)
        took = _timed(
            lambda nets=nets, m=m: fit_batched(
                nets,
                [d[0] for d in data[:m]],
                [d[1] for d in data[:m]],
                fit_params_list=[{"ranking_target": d[2]} for d in data[:m]],
            )
        )
        seq = sum(fit_times[:m])
        rate = sum(flops[:m]) / took / 1e9
        print(
            f"{m:>4} {seq:>10.1f}s {took:>8.1f}s {seq / took:>5.1f}x {rate:>8.1f} "
            f"{100 * rate / peak:>6.0f}%"
        )
        diffs = [largest_difference(a, b) for a, b in zip(nets, one_by_one)]
        X_test = fold(10_000)[0]
        same = all(
            (a.predict(X_test) == b.predict(X_test)).all() for a, b in zip(nets, one_by_one)
        )
        close = [d for d in diffs if d <= 1e-5]
        print(
            f"     weights: {len(close)} of {m} within 1e-5 of their own fit (largest "
            f"{max(close, default=0):.1e}), {m - len(close)} beyond (largest {max(diffs):.1e});"
            f" predictions equal: {same}"
        )
        # where the difference exceeds 1e-5: the fused SGD kernel of fit rounds differently
        # (see docs/performance.md); fit with torch's unfused SGD for comparison
        for i in (i for i, d in enumerate(diffs) if d > 1e-5 and m == max(args.models)):
            unfused = estimators(m, args.epochs)[i].set_params(optimizer__fused=False)
            unfused.fit(data[i][0], data[i][1], ranking_target=data[i][2])
            print(
                f"     network {i}: {diffs[i]:.1e} from fit, "
                f"{largest_difference(nets[i], unfused):.1e}"
                f" from fit with optimizer__fused=False, which differs from fit by "
                f"{largest_difference(one_by_one[i], unfused):.1e}"
            )
    if args.vmap:
        t = vmap_versus_bmm()
        print(f"one step, 20 networks: vmap {t['vmap']:.2f} ms, baddbmm {t['bmm']:.2f} ms")
    if args.compile:
        t = compiled_versus_eager()
        print(
            f"one step, 20 networks (10 ranked): eager {t['eager']:.2f} ms, torch.compile "
            f"{t['compiled']:.2f} ms (compiled in {t['compile_s']:.1f} s)"
        )


if __name__ == "__main__":
    main()
