"""Training speed of the PRNet estimators against a hand-written PyTorch loop.

Run by hand (not part of the test suite); results go to docs/performance.md::

    python benchmarks/bench_fit.py            # EEG configuration + image-scale step
    python benchmarks/bench_fit.py --no-images

EEG configuration (paper): 1080 samples x 100 features, 2 binary outputs, MLP 128-128,
20 epochs, batch 40, SGD(lr 1e-3, momentum 0.9, weight decay 5e-4), one torch thread.
All variants are timed interleaved in one run; the ratios use medians.
"""

import argparse
import os
import platform
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sk_prnet import PRNetClassifier, PRNetRegressor
from sk_prnet.modules import PairHead, pair_codes, ranking_loss


def eeg_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(1080, 100)).astype(np.float32)
    ratings = rng.uniform(1, 9, size=(1080, 2))
    return X, (ratings > 5).astype(np.int64), ratings


def hand_written_baseline(X, y, epochs=20, batch_size=40):
    """The plain baseline as one would write it in PyTorch: MLP + 2 heads, cross-entropy."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(X.shape[1], 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 4)
    )
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt))
        for start in range(0, len(Xt), batch_size):
            idx = perm[start : start + batch_size]
            xb, yb = Xt[idx], yt[idx]
            opt.zero_grad()
            out = net(xb)
            loss = F.cross_entropy(out[:, :2], yb[:, 0]) + F.cross_entropy(out[:, 2:], yb[:, 1])
            loss.backward()
            opt.step()
    return net


def hand_written_prnet(X, y, ratings, epochs=20, batch_size=40, epsilon=0.25):
    """PRNet as one would hand-write it: one fused output layer for the two task heads and
    both pair-side projections, batch halves paired, relation labels built per step."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(X.shape[1], 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU())
    out_layer = nn.Linear(128, 4 + 12)  # 2x2 class logits, then 2 targets x 3 per pair side
    params = list(net.parameters()) + list(out_layer.parameters())
    opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, weight_decay=5e-4)
    Xt, yt, rt = torch.as_tensor(X), torch.as_tensor(y), torch.as_tensor(ratings)
    for _ in range(epochs):
        perm = torch.randperm(len(Xt))
        for start in range(0, len(Xt), batch_size):
            idx = perm[start : start + batch_size]
            xb, yb, rb = Xt[idx], yt[idx], rt[idx]
            opt.zero_grad()
            out = out_layer(net(xb))
            loss = F.cross_entropy(out[:, :2], yb[:, 0]) + F.cross_entropy(out[:, 2:4], yb[:, 1])
            h = len(xb) // 2
            d = rb[:h, None] - rb[None, h : 2 * h]
            codes = (d > epsilon).long() + (d >= -epsilon).long()
            logits = (out[:h, None, 4:10] + out[None, h : 2 * h, 10:16]).reshape(-1, 3)
            loss = loss + 2 * F.cross_entropy(logits, codes.reshape(-1))
            loss.backward()
            opt.step()
    return net


# Wall clock by default; --cpu-time switches to this process's CPU time, which other jobs on
# a shared machine disturb much less (a fit here runs on one thread).
CLOCK = time.perf_counter


def time_interleaved(funcs, repeats):
    times = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, f in funcs.items():
            start = CLOCK()
            f()
            times[name].append(CLOCK() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def bench_eeg(repeats):
    torch.set_num_threads(1)
    X, y, ratings = eeg_data()
    kw = dict(max_epochs=20, device="cpu", random_state=0)  # the hand-written loops: 20 epochs
    funcs = {
        "hand-written loop": lambda: hand_written_baseline(X, y),
        "hand-written PRNet loop": lambda: hand_written_prnet(X, y, ratings),
        "PRNetClassifier(alpha=0)": lambda: PRNetClassifier(alpha=0, **kw).fit(X, y),
        "PRNetClassifier(alpha=1)": lambda: PRNetClassifier(alpha=1, **kw).fit(
            X, y, ranking_target=ratings
        ),
    }
    for f in funcs.values():  # warm-up
        f()
    med = time_interleaved(funcs, repeats)
    base = med["hand-written loop"]
    print(f"\nEEG configuration, 1 thread, median of {repeats}:")
    print("| variant | median fit time (s) | ratio to hand-written |")
    print("|---|---|---|")
    for name, t in med.items():
        print(f"| {name} | {t:.3f} | {t / base:.2f}x |")
    return med


def bench_image_step(repeats, batch_size=128, size=96):
    """One SGD step of the VGG PRNet regressor at batch 128 on 96x96: alpha=0 vs alpha=1."""
    torch.set_num_threads(os.cpu_count() or 1)  # the EEG part pinned one thread
    rng = np.random.default_rng(0)
    X = rng.random((batch_size, 3, size, size), dtype=np.float32)
    y = rng.uniform(-1, 1, size=(batch_size, 2))
    steps = {}
    for alpha in (0.0, 1.0):
        reg = PRNetRegressor(
            module="vgg", module__task_hidden=256, module__ranking_hidden=256, alpha=alpha,
            batch_size=batch_size, max_epochs=1, device="cpu", random_state=0, lr=1e-3,
            weight_decay=1e-4,
        )  # fmt: skip
        steps[f"alpha={alpha:g}"] = reg
    for reg in steps.values():  # builds the module and runs one step as warm-up
        reg.fit(X, y)
    funcs = {name: (lambda r=reg: r.partial_fit(X, y)) for name, reg in steps.items()}
    med = time_interleaved(funcs, repeats)
    ratio = med["alpha=1"] / med["alpha=0"]
    print(f"\nImage scale (VGG 96x96, batch {batch_size}, {torch.get_num_threads()} threads):")
    print("| variant | median step time (s) |")
    print("|---|---|")
    for name, t in med.items():
        print(f"| {name} | {t:.2f} |")
    print(f"ranking head adds {100 * (ratio - 1):.1f} % to a training step")
    return med


def bench_memory(batch_size=128, d=512 * 3 * 3, hidden=256, n_targets=2):
    """Largest tensor kept for backward by the ranking loss vs an explicit concatenation."""
    head = PairHead(d, n_targets, hidden=hidden)
    emb = torch.randn(batch_size, d, requires_grad=True)
    codes = pair_codes(torch.rand(batch_size, n_targets, dtype=torch.float64), 0.15)
    sizes = []
    with torch.autograd.graph.saved_tensors_hooks(
        lambda t: sizes.append(t.numel() * t.element_size()) or t, lambda t: t
    ):
        ranking_loss(head, emb, codes).backward()
    half = batch_size // 2
    explicit = half * half * 2 * d * 4
    print(
        f"\nMemory at batch {batch_size}, d={d}: largest saved tensor"
        f" {max(sizes) / 2**20:.1f} MiB,"
        f" all saved {sum(sizes) / 2**20:.1f} MiB; an explicit [e1; e2] pair tensor alone"
        f" would be {explicit / 2**20:.1f} MiB"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--image-repeats", type=int, default=3)
    parser.add_argument("--no-images", action="store_true")
    parser.add_argument(
        "--cpu-time", action="store_true",
        help="time with this process's CPU time instead of the wall clock (shared machines)",
    )
    args = parser.parse_args()
    if args.cpu_time:
        global CLOCK
        CLOCK = time.process_time
    print(f"clock: {'process CPU time' if args.cpu_time else 'wall'}")
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}")
    bench_eeg(args.repeats)
    bench_memory()
    if not args.no_images:
        bench_image_step(args.image_repeats)


if __name__ == "__main__":
    main()
