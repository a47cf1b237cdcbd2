"""``sk-prnet run deap`` end to end, batched (the default) against ``--no-batched``.

Run by hand (not part of the test suite); results go to docs/performance.md::

    python benchmarks/bench_protocol_run.py                     # 32 subjects, both modes
    python benchmarks/bench_protocol_run.py --subjects 4 --recipe authors --n-jobs 2
    python benchmarks/bench_protocol_run.py --modes batched     # one mode only

Writes a fresh synthetic DEAP (``make_synthetic_deap``: the real file format, 40 trials of
60 s per subject, unless ``--data-dir`` names existing files), then runs the paper's Table
IV protocol (``sk-prnet run deap``: subjects x 10 folds x alpha in {0, 1}, 20 epochs) into a
new results store, once per mode, as a child process. Reports the wall time of each run
(including reading the files, the features, the fits and the store), the peak of the summed
resident memory of the run's process tree (sampled every 0.1 s from /proc; Linux), the
largest single process (``getrusage(RUSAGE_CHILDREN)``), the load average before each run,
and whether the stored metrics of the modes agree.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _tree_rss(pid):
    """Summed RSS (bytes) of ``pid`` and its descendants, from /proc."""
    children, rss = {}, {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * page
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def run(cmd):
    """Run ``cmd``; return (wall seconds, peak summed tree RSS in bytes, return code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.1)
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    if proc.returncode:
        print(err[-2000:], file=sys.stderr)
    return wall, peak, proc.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=32)
    parser.add_argument("--recipe", default="paper", choices=["paper", "authors"])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--modes", nargs="+", default=["batched", "unbatched"],
                        choices=["batched", "unbatched"])  # fmt: skip
    parser.add_argument("--data-dir", default=None, help="existing DEAP files (default: new)")
    parser.add_argument("--work-dir", default=None, help="where data and stores go")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                        help="further options of sk-prnet run deap")  # fmt: skip
    args = parser.parse_args()

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="bench_protocol_"))
    work.mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir
    if data_dir is None:
        from sk_prnet.datasets import make_synthetic_deap

        t = time.perf_counter()
        data_dir = make_synthetic_deap(work / "deap", n_subjects=args.subjects, random_state=0)
        print(f"synthetic DEAP, {args.subjects} subjects: {time.perf_counter() - t:.1f} s")
    stores = {}
    for mode in args.modes:
        store = work / f"{mode}-{args.recipe}.sqlite"
        store.unlink(missing_ok=True)
        cmd = [
            sys.executable, "-m", "sk_prnet.cli", "run", "deap", "--data-dir", str(data_dir),
            "--subjects", f"1-{args.subjects}", "--recipe", args.recipe, "--n-jobs",
            str(args.n_jobs), "--results", str(store), "--quiet", *args.extra,
        ]  # fmt: skip
        if mode == "unbatched":
            cmd.append("--no-batched")
        load = os.getloadavg()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        wall, peak, code = run(cmd)
        largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(
            f"{mode:9s} recipe={args.recipe} subjects={args.subjects} n_jobs={args.n_jobs}: "
            f"wall {wall:.1f} s, peak RSS of the process tree {peak / 2**20:.0f} MiB, "
            f"largest process {max(before, largest) / 1024:.0f} MiB (max over runs so far), "
            f"load before {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, exit {code}"
        )
        stores[mode] = store
    if len(stores) == 2:
        from sk_prnet.experiments import load_results

        keys = ["subject", "fold", "model", "target", "metric"]
        a, b = (load_results(s).set_index(keys)["value"].sort_index() for s in stores.values())
        diff = (a - b).abs()
        print(
            f"stored metrics: {len(a)} values, {int((diff > 0).sum())} differ "
            f"(largest difference {diff.max():.3g})"
        )
        for key in diff[diff > 0].index:  # which units, targets and metrics
            print(f"  {dict(zip(keys, key))}: {a[key]:.4f} against {b[key]:.4f}")


if __name__ == "__main__":
    main()
