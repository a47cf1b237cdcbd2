"""Image path benchmark: VGG PRNet training step (alpha=0 vs 1) and AffectNet cache building.

Run by hand; results go to docs/performance.md::

    python benchmarks/bench_images.py [--n-images 500] [--repeats 3] [--no-step]

* step: one SGD step of ``PRNetRegressor(module="vgg", ...)`` at batch 128 on 96x96 (the
  paper's configuration), alpha=0 vs alpha=1 interleaved, on every core (and CUDA when
  available: images/s and peak memory are printed there too);
* loader: images/s of ``load_affectnet`` building its uint8 memmap cache from synthetic
  AffectNet JPEGs (256x256 source images, 96x96 output), and of reusing the cache.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_fit import bench_image_step  # noqa: E402  (the same step benchmark)


def bench_loader(n_images):
    from sk_prnet.datasets import load_affectnet, make_synthetic_affectnet

    with tempfile.TemporaryDirectory() as tmp:
        root = make_synthetic_affectnet(
            Path(tmp) / "affectnet", n=n_images, n_validation=10, image_size=(256, 256),
            random_state=0,
        )  # fmt: skip
        start = time.perf_counter()
        data = load_affectnet(root, "training", size=96, progress=False)
        build = time.perf_counter() - start
        start = time.perf_counter()
        load_affectnet(root, "training", size=96, progress=False)
        reuse = time.perf_counter() - start
    n = len(data.y)
    print(f"\nAffectNet cache ({n} faces from 256x256 JPEGs -> 96x96 uint8):")
    print(f"build {build:.2f} s = {n / build:.0f} images/s; reuse {reuse * 1e3:.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-images", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-step", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, cuda={torch.cuda.is_available()}")
    bench_loader(args.n_images)
    if not args.no_step:
        bench_image_step(args.repeats)
        if torch.cuda.is_available():
            print(f"peak CUDA memory: {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
