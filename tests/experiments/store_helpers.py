"""Reading a results store in the experiment tests (imported by the test modules here)."""

import os
import signal
import sqlite3
import subprocess
import time

from sk_prnet.experiments import load_results


def count_units(path):
    """Units committed to the store at ``path`` so far (0 while it is being created)."""
    try:
        with sqlite3.connect(path, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM units").fetchone()[0]
    except sqlite3.Error:
        return 0


def stored_metrics(path, keys):
    """Every stored metric value, indexed by the columns ``keys`` and sorted."""
    return load_results(path).set_index(list(keys))["value"].sort_index()


def kill_then_rerun(cmd, path, n_total, kill_after=1):
    """SIGKILL the run ``cmd`` once ``kill_after`` units are in the store at ``path``, run it
    again to the end, check that it ran exactly the missing units; returns the number the
    killed run had stored."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while count_units(path) < kill_after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_at_kill = count_units(path)
    assert 0 < n_at_kill < n_total, n_at_kill
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({n_total - n_at_kill} run now, {n_at_kill} before)" in rerun.stdout
    return n_at_kill
