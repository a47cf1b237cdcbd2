"""GPU training speed of the paper's image configuration, and of the batch loader.

Run by hand on a CUDA machine (results go to docs/gpu.md)::

    python benchmarks/bench_gpu.py                    # device "auto", paper sizes
    python benchmarks/bench_gpu.py --device cuda:1 --steps 50
    python benchmarks/bench_gpu.py --smoke            # tiny sizes, CPU: a few seconds

* steps: ``PRNetRegressor(module="vgg", module__task_hidden=256,
  module__ranking_hidden=256)`` at batch 128 on 96x96x3 uint8 images (the paper's
  AffectNet setting), for alpha 0 and 1, ``precision`` fp32 and bf16, ``channels_last``
  off and on: median step time, images/s and the peak device memory of each;
* loader: images/s of the streaming batch reader over a uint8 memmap (the AffectNet cache
  format), with and without the prefetching thread, and of a fit with and without it.

``--smoke`` runs the same code at a tiny size (16x16 images, two small stages); the test
suite runs it on the CPU to keep this script working. Its numbers mean nothing.
"""

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from sk_prnet import PRNetRegressor
from sk_prnet.estimators._batches import TrainingBatches
from sk_prnet.estimators._validation import resolve_device
from sk_prnet.modules import pair_codes

PAPER = dict(batch_size=128, size=96, channels=(64, 128, 256, 512, 512), steps=20, n=4096)
SMOKE = dict(batch_size=8, size=16, channels=(4, 8), steps=2, n=32)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device):
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_mib(device):
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return float("nan")  # the CPU has no allocator statistics of its own


def memmap_images(path, n, size, seed=0):
    """A uint8 ``(n, 3, size, size)`` memmap like the AffectNet cache, and ratings."""
    rng = np.random.default_rng(seed)
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, 3, size, size))
    for start in range(0, n, 1024):
        stop = min(start + 1024, n)
        X[start:stop] = rng.integers(0, 256, size=(stop - start, 3, size, size), dtype=np.uint8)
    X.flush()
    del X
    return np.load(path, mmap_mode="r"), rng.uniform(-1, 1, size=(n, 2))


def regressor(cfg, device, **params):
    return PRNetRegressor(
        module="vgg", module__channels=cfg["channels"], module__task_hidden=256,
        module__ranking_hidden=256, batch_size=cfg["batch_size"], lr=1e-3,
        weight_decay=1e-4, device=device, random_state=0, **params,
    )  # fmt: skip


def time_steps(reg, X, y, steps, device, repeats):
    """Median seconds per step over ``repeats`` runs of ``steps`` steps (after a warm-up)."""
    reg.set_params(max_steps=2)
    reg.fit(X, y)  # builds the module, cuDNN picks its algorithms
    reg.set_params(max_steps=steps)
    times = []
    reset_peak(device)
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        reg.partial_fit(X, y)
        sync(device)
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times), peak_mib(device)


def bench_steps(cfg, device, X, y, repeats):
    print(f"\nTraining steps (VGG {cfg['size']}x{cfg['size']}, batch {cfg['batch_size']}, "
          f"{cfg['steps']} steps, median of {repeats}):")  # fmt: skip
    print("| alpha | precision | channels_last | step (ms) | images/s | peak memory (MiB) |")
    print("|---|---|---|---|---|---|")
    rows = []
    for alpha in (0.0, 1.0):
        for precision in ("fp32", "bf16"):
            for channels_last in (False, True):
                reg = regressor(cfg, device, alpha=alpha, precision=precision,
                                module__channels_last=channels_last)  # fmt: skip
                step, peak = time_steps(reg, X, y, cfg["steps"], device, repeats)
                rate = cfg["batch_size"] / step
                mem = f"{peak:.0f}" if np.isfinite(peak) else "n/a (CPU)"
                print(f"| {alpha:g} | {precision} | {channels_last} | {1e3 * step:.1f} | "
                      f"{rate:.0f} | {mem} |")  # fmt: skip
                rows.append((alpha, precision, channels_last, step, rate, peak))
    return rows


def loader_rate(X, y, device, batch_size, prefetch, work_s=0.0):
    """Images/s of one epoch of the streaming reader (``work_s`` of host work per batch
    stands in for a training step the reading could overlap)."""
    rank = torch.as_tensor(y)
    data = TrainingBatches(X, rank.float(), rank, None, device, prefetch=prefetch,
                           source="stream")  # fmt: skip
    codes_fn = lambda r, g: pair_codes(r, 0.15, "split", g)  # noqa: E731
    torch.manual_seed(0)
    sync(device)
    start = time.perf_counter()
    n = 0
    for xb, _ in data.batches(batch_size, True, codes_fn):
        n += xb.shape[0]
        if work_s:
            time.sleep(work_s)  # releases the GIL, like a CUDA step waiting on the device
    sync(device)
    return n / (time.perf_counter() - start)


def bench_loader(cfg, device, X, y, step_s):
    print(f"\nLoader ({len(X)} uint8 images {cfg['size']}x{cfg['size']} from a memmap, "
          f"batch {cfg['batch_size']}):")  # fmt: skip
    print(f"| reader | alone (images/s) | with a step of {1e3 * step_s:.1f} ms (images/s) |")
    print("|---|---|---|")
    for prefetch in (0, 2):
        alone = loader_rate(X, y, device, cfg["batch_size"], prefetch)
        overlapped = loader_rate(X, y, device, cfg["batch_size"], prefetch, step_s)
        print(f"| prefetch={prefetch} | {alone:.0f} | {overlapped:.0f} |")


def bench_fit_prefetch(cfg, device, X, y, repeats):
    print("\nFit with and without prefetch (alpha=1, fp32):")
    print("| prefetch | step (ms) | images/s |")
    print("|---|---|---|")
    for prefetch in (0, 2):
        reg = regressor(cfg, device, alpha=1.0, prefetch=prefetch)
        step, _ = time_steps(reg, X, y, cfg["steps"], device, repeats)
        print(f"| {prefetch} | {1e3 * step:.1f} | {cfg['batch_size'] / step:.0f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-images", type=int, default=None)
    parser.add_argument(
        "--cudnn-benchmark",
        action="store_true",
        help="torch.backends.cudnn.benchmark = True (fixed input sizes)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, one repeat: checks that the script runs"
    )
    args = parser.parse_args(argv)
    cfg = dict(SMOKE if args.smoke else PAPER)
    repeats = 1 if args.smoke else args.repeats
    if args.steps:
        cfg["steps"] = args.steps
    if args.n_images:
        cfg["n"] = args.n_images
    cfg["n"] = max(cfg["n"], cfg["batch_size"] * cfg["steps"])
    device = resolve_device(args.device)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.machine()
    print(f"torch {torch.__version__}, device {device} ({name}), "
          f"cudnn.benchmark={args.cudnn_benchmark}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        X, y = memmap_images(Path(tmp) / "images.npy", cfg["n"], cfg["size"])
        rows = bench_steps(cfg, device, X, y, repeats)
        step_s = min(rows[0][3], 0.002) if args.smoke else rows[0][3]
        bench_loader(cfg, device, X, y, step_s)
        bench_fit_prefetch(cfg, device, X, y, repeats)
        del X
    return rows


if __name__ == "__main__":
    main()
