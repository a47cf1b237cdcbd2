"""benchmarks/bench_gpu.py keeps working: its --smoke mode runs every variant at a tiny size."""

import importlib.util
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gpu.py"


def test_bench_gpu_smoke_runs_every_variant(capsys):
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.main(["--smoke", "--device", "cpu"])
    variants = {(alpha, precision, cl) for alpha, precision, cl, *_ in rows}
    assert len(variants) == len(rows) == 8  # alpha x precision x channels_last
    steps = np.array([row[3] for row in rows])
    assert np.isfinite(steps).all() and (steps > 0).all()
    out = capsys.readouterr().out
    assert "prefetch=2" in out and "images/s" in out
