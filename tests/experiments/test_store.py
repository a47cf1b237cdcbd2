"""The results store: one transaction per unit, no duplicates, coverage, clear errors."""

import json
import os
import sqlite3
import threading

import numpy as np
import pandas as pd
import pytest

from sk_prnet.experiments import ResultsStore, StoreError, load_results
from sk_prnet.experiments.store import UNIT_FIELDS, unit_key


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
    with pytest.raises(FileNotFoundError, match="absent.sqlite"):
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
    # under mutation testing a few rounds (a mutant that breaks the creation of a store
    # fails in any round; the race itself is what the 60 rounds of the suite look for)
    n, rounds = 8, (4 if "MUTANT_UNDER_TEST" in os.environ else 60)
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


def _rows(path, query, *args):
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def test_claims_keep_a_unit_to_one_run_until_it_is_finished_or_the_run_ends(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    a = store.start_run("x", [_unit(0), _unit(1)], command="sk-prnet run x")
    b = store.start_run("x", [_unit(0), _unit(1)])
    k0, k1 = unit_key(_unit(0)), unit_key(_unit(1))
    assert _rows(tmp_path / "r.sqlite", "SELECT DISTINCT status FROM runs") == [("running",)]
    assert store.claim(k0, a) and store.claim(k0, a)  # claiming again is still ours
    assert not store.claim(k0, b)
    assert store.claim(k1, b) and not store.claim(k1, a)
    # a finished unit releases its claim; it is done for every run
    assert not store.is_done(k0)
    assert store.add_unit(_unit(0), {("a", "f1"): 0.5}, wall_time=1.0, run_id=a)
    assert store.is_done(k0) and not store.is_done(k1)
    assert _rows(tmp_path / "r.sqlite", "SELECT unit_key, run_id FROM claims") == [(k1, b)]
    # the end of a run releases the claims it still holds
    store.finish_run(b, "interrupted")
    assert store.claim(k1, a)
    store.finish_run(a, "complete")
    runs = _rows(
        tmp_path / "r.sqlite",
        "SELECT run_id, experiment, command, n_planned, status, finished_at IS NOT NULL "
        "FROM runs ORDER BY started_at",
    )
    assert sorted(runs) == sorted(
        [(a, "x", "sk-prnet run x", 2, "complete", 1), (b, "x", None, 2, "interrupted", 1)]
    )
    # the plan holds each unit once, recorded by the first run that planned it
    assert sorted(_rows(tmp_path / "r.sqlite", "SELECT unit_key, run_id FROM plan")) == sorted(
        [(k0, a), (k1, a)]
    )
    assert _rows(tmp_path / "r.sqlite", "SELECT run_id FROM units") == [(a,)]


def test_done_keys_of_one_experiment(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    store.add_unit(_unit(0), {("a", "f1"): 0.5}, wall_time=1.0)
    store.add_unit(dict(_unit(0), experiment="y"), {("a", "f1"): 0.5}, wall_time=1.0)
    assert store.done_keys("x") == {unit_key(_unit(0))}
    assert store.done_keys("y") == {unit_key(dict(_unit(0), experiment="y"))}
    assert store.done_keys() == store.done_keys("x") | store.done_keys("y")
    assert store.done_keys("z") == set()


def test_stored_rows_keep_every_identity_field_and_the_provenance(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    unit = dict(
        experiment="sweep", dataset="wine", subject=None, session=np.int64(3), repeat=2,
        fold=np.int32(4), model="prnet", alpha=np.float32(0.5), epsilon=None,
        params={"max_epochs": np.int64(7), "cutoff": 1.5, "lr": float("nan")}, seed=11,
    )  # fmt: skip
    versions = {"package_version": "1.2", "torch_version": "2.x", "device": "cpu"}
    metrics = {("quality", "ccc"): np.float32(0.25), ("quality", "mse"): float("nan")}
    assert store.add_unit(unit, metrics, wall_time=3, versions=versions, run_id="r1")
    df = load_results(tmp_path / "r.sqlite")
    documented = (
        "unit_id experiment dataset subject session repeat fold model alpha epsilon params seed "
        "target metric value wall_time package_version torch_version device finished_at"
    )  # load_results' docstring
    assert list(df.columns) == documented.split()
    df = df.set_index("metric")
    assert list(df.index) == ["ccc", "mse"]
    row = df.loc["ccc"]
    assert (row["experiment"], row["dataset"], row["model"]) == ("sweep", "wine", "prnet")
    assert pd.isna(row["subject"]) and pd.isna(row["epsilon"])
    assert (row["session"], row["repeat"], row["fold"], row["seed"]) == (3, 2, 4, 11)
    assert str(df["fold"].dtype) == "Int64" and df["value"].dtype == float
    assert row["alpha"] == 0.5 and row["value"] == 0.25 and pd.isna(df.loc["mse", "value"])
    assert json.loads(row["params"]) == {"cutoff": 1.5, "lr": None, "max_epochs": 7}
    assert row["wall_time"] == 3.0 and row["target"] == "quality"
    assert (row["package_version"], row["torch_version"], row["device"]) == ("1.2", "2.x", "cpu")
    assert row["finished_at"] > 0
    ((host, run_id),) = _rows(tmp_path / "r.sqlite", "SELECT host, run_id FROM units")
    assert host and run_id == "r1"


def test_unit_keys_ignore_numpy_types_the_order_of_params_and_nan():
    a = dict(_unit(0), params={"lr": 0.01, "max_epochs": 3}, seed=np.int64(0))
    b = dict(_unit(np.int64(0)), params={"max_epochs": np.int64(3), "lr": 0.01}, seed=0)
    assert unit_key(a) == unit_key(b)
    assert unit_key(dict(_unit(0), epsilon=float("nan"))) == unit_key(dict(_unit(0), epsilon=None))
    assert unit_key(dict(_unit(0), epsilon=1)) == unit_key(dict(_unit(0), epsilon=1.0))
    assert unit_key(_unit(0)) != unit_key(_unit(1))
    assert unit_key(_unit(0)) != unit_key(dict(_unit(0), params={"max_epochs": 2}))
    assert unit_key(_unit(0)) != unit_key(dict(_unit(0), alpha=0.5))
    # the key is canonical (sorted, compact JSON), so that keys stored by earlier runs match
    for key in (unit_key(a), unit_key(dict(_unit(0), params={"z": 1, "a": {"y": 2, "b": 3}}))):
        assert key == json.dumps(json.loads(key), sort_keys=True, separators=(",", ":"))
    # missing fields count as None; the key is the JSON of every identity field
    key = json.loads(unit_key({"experiment": "x"}))
    assert key == dict.fromkeys(
        ["experiment", "dataset", "subject", "session", "repeat", "fold", "model", "alpha",
         "epsilon", "seed"], None) | {"experiment": "x", "params": {}}  # fmt: skip


def test_coverage_per_configuration_counts_units_outside_the_plan(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    slow = [
        dict(_unit(f), params={"max_epochs": 5, "cutoff": c}) for f in range(2) for c in (1, 2)
    ]
    store.start_run("x", [_unit(0), _unit(1), *slow])
    store.add_unit(_unit(0), {("a", "f1"): 0.5}, wall_time=1.0)
    for u in slow:
        store.add_unit(u, {("a", "f1"): 0.5}, wall_time=1.0)
    # a unit finished without a recorded plan (an older run) still counts as done
    for fold in (0, 1):
        store.add_unit(dict(_unit(fold), experiment="sweep"), {("a", "f1"): 0.5}, wall_time=1.0)
    summary, missing = store.coverage(by_config=True)
    assert summary.index.names == ["experiment", "dataset", "config"]
    quick = ("x", "d", '{"max_epochs":1,"seed":0}')
    assert summary.loc[quick].to_dict() == {
        "planned": 2, "done": 1, "missing": 1, "complete": False}  # fmt: skip
    # the cut-off is a per-unit parameter: both cut-offs are one configuration
    assert summary.loc[("x", "d", '{"max_epochs":5,"seed":0}')].to_dict() == {
        "planned": 4, "done": 4, "missing": 0, "complete": True}  # fmt: skip
    assert summary.loc[("sweep", "d", '{"max_epochs":1,"seed":0}')].to_dict() == {
        "planned": 2, "done": 2, "missing": 0, "complete": True}  # fmt: skip
    assert list(summary.index) == sorted(summary.index)
    assert len(missing) == 1 and missing.loc[0, "fold"] == 1
    assert list(missing.columns) == list(UNIT_FIELDS)
    assert missing.loc[0, "params"] == '{"max_epochs": 1}'
    per_experiment, _ = store.coverage()
    assert per_experiment.loc["x"].to_dict() == {
        "planned": 6, "done": 5, "missing": 1, "complete": False}  # fmt: skip
    assert per_experiment.index.name == "experiment" and list(per_experiment.index) == [
        "sweep", "x"]  # fmt: skip
    assert per_experiment.loc["sweep"].to_dict() == {
        "planned": 2, "done": 2, "missing": 0, "complete": True}  # fmt: skip


def test_a_store_of_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "r.sqlite"
    ResultsStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="schema version 2, this sk_prnet reads version 1") as err:
        ResultsStore(path)
    assert repr(str(path)) in str(err.value)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM meta")
    with pytest.raises(StoreError, match="schema version None"):
        ResultsStore(path)
    with pytest.raises(StoreError, match="is a directory") as err:
        ResultsStore(tmp_path)
    assert repr(str(tmp_path)) in str(err.value)


def test_a_store_reopened_keeps_its_units_and_a_closed_store_reconnects(tmp_path):
    path = tmp_path / "r.sqlite"
    store = ResultsStore(path)
    store.add_unit(_unit(0), {("a", "f1"): 0.5}, wall_time=1.0)
    store.close()
    store.close()  # closing twice is harmless
    errors = []  # so is closing in a thread that never used the store

    def close_elsewhere():
        try:
            store.close()
        except Exception as err:  # noqa: BLE001 - the test reports any error
            errors.append(err)

    closer = threading.Thread(target=close_elsewhere)
    closer.start()
    closer.join()
    assert errors == []
    assert store.is_done(unit_key(_unit(0)))  # a new connection after close
    again = ResultsStore(path)
    assert again.done_keys() == {unit_key(_unit(0))} and again.integrity_check() == "ok"
    assert _rows(path, "PRAGMA application_id") == [(0x50524E54,)]
    assert again._connect().execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_opening_waits_for_a_writer_and_gives_up_with_a_clear_error(tmp_path):
    path = tmp_path / "r.sqlite"
    ResultsStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another runner is writing
    message = "Cannot initialise the results store '.*r.sqlite': .*locked"
    with pytest.raises(StoreError, match=message):
        ResultsStore(path, timeout=0.2)
    # a writer that finishes while the store waits: the store opens
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    store = ResultsStore(path, timeout=30)
    release.join()
    assert store.add_unit(_unit(0), {("a", "f1"): 0.5}, wall_time=1.0)
    holder.close()


def test_an_interrupted_unit_is_rolled_back_and_the_store_stays_usable(tmp_path):
    class Interrupt(KeyboardInterrupt):
        pass

    class Metrics(dict):
        def items(self):
            yield ("a", "f1"), 0.5
            raise Interrupt  # Ctrl-C while the metric rows are written

    store = ResultsStore(tmp_path / "r.sqlite")
    with pytest.raises(Interrupt):
        store.add_unit(_unit(0), Metrics(), wall_time=1.0)
    assert store.done_keys() == set() and not store._connect().in_transaction
    assert store.add_unit(_unit(0), {("a", "f1"): 0.5}, wall_time=1.0)


def test_a_closed_store_is_one_self_contained_file(tmp_path):
    """Closing the last connection checkpoints the WAL: the .sqlite file alone holds it all."""
    path = tmp_path / "r.sqlite"
    store = ResultsStore(path)
    store.add_unit(_unit(0), {("a", "f1"): 0.5}, wall_time=1.0)
    assert (tmp_path / "r.sqlite-wal").exists()
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.sqlite"]
    copy = tmp_path / "copy" / "r.sqlite"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    assert load_results(copy)["value"].tolist() == [0.5]


def test_a_unit_whose_metrics_are_all_nan_reads_back_as_float_nan(tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    store.add_unit(_unit(0), {("a", "ccc"): float("nan")}, wall_time=1.0)
    df = load_results(tmp_path / "r.sqlite")
    assert df["value"].dtype == np.float64 and df["value"].isna().all()


def test_a_store_file_without_the_application_id_is_refused(tmp_path):
    """The tables alone do not make a store: the file must carry sk_prnet's application id."""
    path = tmp_path / "r.sqlite"
    ResultsStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA application_id = 0")
    with pytest.raises(StoreError, match="not an sk_prnet results store") as err:
        ResultsStore(path)
    assert repr(str(path)) in str(err.value)
