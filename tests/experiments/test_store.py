"""The results store: one transaction per unit, no duplicates, coverage, clear errors."""

import sqlite3

import pytest

from sk_prnet.experiments import ResultsStore, StoreError, load_results
from sk_prnet.experiments.store import unit_key


def _unit(fold, **kw):
    return dict(
        experiment="x",
        dataset="d",
        subject=1,
        fold=fold,
        model="m",
        alpha=1.0,
        epsilon=0.25,
        params={"max_epochs": 1},
        seed=0,
        **kw,
    )


def test_unit_written_once_with_all_metrics(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    metrics = {("arousal", "f1"): 0.5, ("valence", "f1"): 0.25}
    assert store.add_unit(_unit(0), metrics, wall_time=1.0)
    assert not store.add_unit(_unit(0), {("arousal", "f1"): 0.9}, wall_time=1.0)
    df = load_results(tmp_path / "r.sqlite")
    assert len(df) == 2 and set(df["value"]) == {0.5, 0.25}
    assert {
        "experiment",
        "dataset",
        "subject",
        "session",
        "fold",
        "alpha",
        "epsilon",
        "seed",
        "target",
        "metric",
        "value",
        "wall_time",
        "torch_version",
        "device",
    } <= set(df)
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failing_unit_leaves_nothing_half_written(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    with pytest.raises(ValueError):  # a metric value that cannot be a float aborts the unit
        store.add_unit(_unit(0), {("a", "f1"): 0.5, ("b", "f1"): "oops"}, wall_time=1.0)
    assert store.done_keys() == set() and load_results(tmp_path / "r.sqlite").empty
    assert store.add_unit(_unit(0), {("a", "f1"): 0.5}, wall_time=1.0)


def test_coverage_lists_missing_units(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    store.start_run("x", [_unit(f) for f in range(3)])
    store.add_unit(_unit(1), {("a", "f1"): 0.5}, wall_time=1.0)
    summary, missing = store.coverage()
    assert summary.loc["x"].to_dict() == {"planned": 3, "done": 1, "missing": 2, "complete": False}
    assert sorted(missing["fold"]) == [0, 2]
    assert unit_key(_unit(0)) == unit_key(dict(_unit(0), alpha=1))  # 1 and 1.0: one key


def test_corrupt_or_foreign_files_are_refused(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable sk_prnet results store"):
        ResultsStore(bad)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not an sk_prnet results store"):
        ResultsStore(other)
    with pytest.raises(FileNotFoundError):
        load_results(tmp_path / "absent.sqlite")


def _open_many_times(barrier, root, rounds, queue):
    failures = []
    for r in range(rounds):
        barrier.wait()  # every process opens the same new file at the same moment
        try:
            ResultsStore(root / f"{r}.sqlite").close()
        except Exception as err:  # noqa: BLE001 - any failure is what the test counts
            failures.append(repr(err))
    queue.put(failures)


def test_many_processes_creating_one_new_store_at_once_never_fail(tmp_path):
    """The file's check and the creation of its tables are one transaction (issue 18)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")  # the store module is already imported here
    n, rounds = 8, 60
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [
        ctx.Process(target=_open_many_times, args=(barrier, tmp_path, rounds, queue))
        for _ in range(n)
    ]
    for p in procs:
        p.start()
    failures = [f for _ in procs for f in queue.get(timeout=300)]
    for p in procs:
        p.join(timeout=60)
    assert failures == []
    for r in range(rounds):
        store = ResultsStore(tmp_path / f"{r}.sqlite")
        assert store.integrity_check() == "ok" and store.done_keys() == set()
        conn = store._connect()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 1
        store.close()
