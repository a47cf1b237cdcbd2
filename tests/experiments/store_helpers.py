"""Reading a results store in the experiment tests (imported by the test modules here)."""

import sqlite3

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
