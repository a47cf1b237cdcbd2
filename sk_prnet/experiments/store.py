"""A crash-safe SQLite store of experiment units, their metrics and the plan of each run.

A *unit* is one fit + evaluate (e.g. one fold of one subject for one parameter setting). Every
finished unit is written at once, together with all its metric rows, in a single transaction
keyed by a canonical unit key with a ``UNIQUE`` constraint: a unit is either entirely in the
store or not at all, and never twice. The store runs in WAL mode with a busy timeout, so
several runners (processes) may write to it concurrently. The *plan* (the unit keys each run
meant to compute) is stored too, so a report can tell a complete store from a partial one.
"""

import json
import math
import os
import random
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pandas as pd

__all__ = ["ResultsStore", "StoreError", "load_results", "unit_key", "UNIT_FIELDS"]

#: Identity of a unit, in key order. ``params`` holds any other model parameters (as JSON).
UNIT_FIELDS = (
    "experiment",
    "dataset",
    "subject",
    "session",
    "repeat",
    "fold",
    "model",
    "alpha",
    "epsilon",
    "params",
    "seed",
)

_APPLICATION_ID = 0x50524E54  # "PRNT": marks a file as an sk_prnet results store
_SCHEMA_VERSION = 1
_TABLES = {"meta", "units", "metrics", "plan", "runs", "claims"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (
    unit_id INTEGER PRIMARY KEY,
    unit_key TEXT NOT NULL UNIQUE,
    experiment TEXT NOT NULL, dataset TEXT NOT NULL,
    subject INTEGER, session INTEGER, repeat INTEGER, fold INTEGER,
    model TEXT NOT NULL, alpha REAL, epsilon REAL, params TEXT NOT NULL, seed INTEGER,
    wall_time REAL NOT NULL, package_version TEXT, torch_version TEXT, device TEXT,
    host TEXT, run_id TEXT, finished_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
    unit_id INTEGER NOT NULL REFERENCES units(unit_id) ON DELETE CASCADE,
    target TEXT NOT NULL, metric TEXT NOT NULL, value REAL,
    PRIMARY KEY (unit_id, target, metric)
);
CREATE TABLE IF NOT EXISTS plan (
    experiment TEXT NOT NULL, unit_key TEXT NOT NULL, unit TEXT NOT NULL,
    run_id TEXT NOT NULL, planned_at REAL NOT NULL,
    PRIMARY KEY (experiment, unit_key)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, experiment TEXT NOT NULL, command TEXT, n_planned INTEGER,
    started_at REAL NOT NULL, finished_at REAL, status TEXT NOT NULL, host TEXT, pid INTEGER
);
CREATE TABLE IF NOT EXISTS claims (
    unit_key TEXT PRIMARY KEY, run_id TEXT NOT NULL, claimed_at REAL NOT NULL
);
"""


class StoreError(RuntimeError):
    """The results file is not an sk_prnet store (not SQLite, or another schema)."""


def _clean(value):
    """JSON/SQL-friendly scalar: numpy scalars to Python, integral floats stay floats."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def unit_key(unit):
    """Canonical text key of a unit: sorted JSON of its identity fields.

    Parameters
    ----------
    unit : mapping
        At least the fields of :data:`UNIT_FIELDS` (missing ones count as ``None``);
        ``params`` is a mapping of further model parameters.

    Returns
    -------
    key : str
    """
    ident = {f: _clean(unit.get(f)) for f in UNIT_FIELDS if f != "params"}
    for f in ("alpha", "epsilon"):
        if ident[f] is not None:
            ident[f] = float(ident[f])
    ident["params"] = {k: _clean(v) for k, v in sorted(dict(unit.get("params") or {}).items())}
    return json.dumps(ident, sort_keys=True, separators=(",", ":"))


class ResultsStore:
    """SQLite results store (WAL mode; one transaction per finished unit).

    Parameters
    ----------
    path : str or Path
        The ``.sqlite`` file; created (with its schema) if it does not exist.
    timeout : float, default=60.0
        Seconds a writer waits for a concurrent writer's lock (``busy_timeout``).

    Raises
    ------
    StoreError
        If ``path`` exists but is not SQLite, or is a SQLite database of another application
        or schema version.
    """

    def __init__(self, path, timeout=60.0):
        self.path = Path(path)
        self.timeout = float(timeout)
        self._local = threading.local()
        if self.path.is_dir():
            raise StoreError(f"The results store {str(self.path)!r} is a directory, not a file.")
        self._init_schema()

    # -------------------------------------------------------------------- connections
    def _connect(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    def close(self):
        """Close this thread's connection (others close when garbage collected)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _transaction(self):
        return _Transaction(self._connect())

    def _init_schema(self):
        # Several processes may open one new store at the same moment: the check of what the
        # file holds and the creation of the tables happen in one BEGIN IMMEDIATE transaction
        # (one writer at a time), retried while another opener holds the lock.
        path = str(self.path)
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while True:
            try:
                self._check_and_create()
                return
            except sqlite3.OperationalError as err:
                if not _is_busy(err) or time.monotonic() > deadline:
                    self.close()
                    raise StoreError(
                        f"Cannot initialise the results store {path!r}: {err}"
                    ) from err
            except sqlite3.DatabaseError as err:
                self.close()
                raise StoreError(
                    f"{path!r} is not a readable sk_prnet results store ({err}). Pass a new "
                    "file name to start a fresh store, or restore the file from a backup."
                ) from err
            except StoreError:
                self.close()
                raise
            time.sleep(delay * (1 + random.random()))
            delay = min(2 * delay, 0.25)

    def _check_and_create(self):
        path = str(self.path)
        conn = self._connect()
        with self._transaction() as c:
            app_id = c.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and (app_id != _APPLICATION_ID or not _TABLES <= tables):
                raise StoreError(
                    f"{path!r} is a SQLite database but not an sk_prnet results store (tables "
                    f"{sorted(tables)}). Pass a new file name for the results."
                )
            if tables:
                row = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if row is None or int(row[0]) != _SCHEMA_VERSION:
                    raise StoreError(
                        f"{path!r} has results-store schema version {row and row[0]}, this "
                        f"sk_prnet reads version {_SCHEMA_VERSION}."
                    )
            else:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                c.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                    (str(_SCHEMA_VERSION),),
                )
        # outside any transaction (SQLite refuses to switch the journal inside one)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode=WAL")

    # -------------------------------------------------------------------- runs and plans
    def start_run(self, experiment, units, command=None):
        """Record a run and its planned units; return the run id.

        Parameters
        ----------
        experiment : str
        units : list of mapping
            The planned units (their identity fields).
        command : str or None
            The command line, for provenance.

        Returns
        -------
        run_id : str
        """
        run_id = uuid.uuid4().hex
        now = time.time()
        with self._transaction() as c:
            c.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, NULL, 'running', ?, ?)",
                (run_id, experiment, command, len(units), now, socket.gethostname(), os.getpid()),
            )
            c.executemany(
                "INSERT OR IGNORE INTO plan VALUES (?, ?, ?, ?, ?)",
                [(experiment, unit_key(u), unit_key(u), run_id, now) for u in units],
            )
        return run_id

    def finish_run(self, run_id, status):
        """Mark a run ``"complete"``, ``"interrupted"`` or ``"failed"``; release its claims.

        Parameters
        ----------
        run_id : str
            The run, as returned by :meth:`start_run`.
        status : {"complete", "interrupted", "failed"}
            How it ended.
        """
        with self._transaction() as c:
            c.execute(
                "UPDATE runs SET status=?, finished_at=? WHERE run_id=?",
                (status, time.time(), run_id),
            )
            c.execute("DELETE FROM claims WHERE run_id=?", (run_id,))

    # -------------------------------------------------------------------- units
    def done_keys(self, experiment=None):
        """Set of the keys of finished units (of one experiment, or all).

        Parameters
        ----------
        experiment : str or None, default=None
            The experiment's name; ``None`` for every experiment.

        Returns
        -------
        keys : set of str
        """
        conn = self._connect()
        if experiment is None:
            rows = conn.execute("SELECT unit_key FROM units")
        else:
            rows = conn.execute("SELECT unit_key FROM units WHERE experiment=?", (experiment,))
        return {r[0] for r in rows}

    def is_done(self, key):
        """Whether the unit with this key is in the store.

        Parameters
        ----------
        key : str
            A unit key (:func:`sk_prnet.experiments.store.unit_key`).

        Returns
        -------
        done : bool
        """
        row = self._connect().execute("SELECT 1 FROM units WHERE unit_key=?", (key,)).fetchone()
        return row is not None

    def claim(self, key, run_id):
        """Claim a unit for ``run_id`` unless another run claimed it.

        Parameters
        ----------
        key : str
            The unit's key.
        run_id : str
            The claiming run.

        Returns
        -------
        ours : bool
            True if the unit is claimed by ``run_id`` now.
        """
        with self._transaction() as c:
            row = c.execute("SELECT run_id FROM claims WHERE unit_key=?", (key,)).fetchone()
            if row is not None and row[0] != run_id:
                return False
            c.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)", (key, run_id, time.time()))
        return True

    def add_unit(self, unit, metrics, *, wall_time, versions=None, run_id=None):
        """Write a finished unit and all its metrics in one transaction.

        Parameters
        ----------
        unit : mapping
            Identity fields (:data:`UNIT_FIELDS`).
        metrics : mapping
            ``{(target, metric): value}``.
        wall_time : float
            Seconds the unit took.
        versions : mapping or None
            ``package_version``, ``torch_version``, ``device``.
        run_id : str or None

        Returns
        -------
        inserted : bool
            False if the unit was already in the store (nothing is written then).
        """
        key = unit_key(unit)
        versions = dict(versions or {})
        ident = json.loads(key)
        with self._transaction() as c:
            cur = c.execute(
                "INSERT OR IGNORE INTO units (unit_key, experiment, dataset, subject, session, "
                "repeat, fold, model, alpha, epsilon, params, seed, wall_time, package_version, "
                "torch_version, device, host, run_id, finished_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    ident["experiment"],
                    ident["dataset"],
                    ident["subject"],
                    ident["session"],
                    ident["repeat"],
                    ident["fold"],
                    ident["model"],
                    ident["alpha"],
                    ident["epsilon"],
                    json.dumps(ident["params"], sort_keys=True),
                    ident["seed"],
                    float(wall_time),
                    versions.get("package_version"),
                    versions.get("torch_version"),
                    versions.get("device"),
                    socket.gethostname(),
                    run_id,
                    time.time(),
                ),
            )
            if cur.rowcount == 0:
                return False
            unit_id = cur.lastrowid
            c.executemany(
                "INSERT INTO metrics VALUES (?, ?, ?, ?)",
                [(unit_id, str(t), str(m), _clean(float(v))) for (t, m), v in metrics.items()],
            )
            c.execute("DELETE FROM claims WHERE unit_key=?", (key,))
        return True

    # -------------------------------------------------------------------- reading
    def results(self):
        """Tidy results: one row per (unit, target, metric); see :func:`load_results`."""
        query = (
            "SELECT u.unit_id, u.experiment, u.dataset, u.subject, u.session, u.repeat, u.fold, "
            "u.model, u.alpha, u.epsilon, u.params, u.seed, m.target, m.metric, m.value, "
            "u.wall_time, u.package_version, u.torch_version, u.device, u.finished_at "
            "FROM units u JOIN metrics m USING (unit_id) ORDER BY u.unit_id, m.target, m.metric"
        )
        df = pd.read_sql_query(query, self._connect())
        for col in ("subject", "session", "repeat", "fold", "seed"):
            df[col] = df[col].astype("Int64")
        df["value"] = df["value"].astype(float)
        return df

    def coverage(self, by_config=False):
        """Planned vs finished units per experiment (or per configuration).

        Parameters
        ----------
        by_config : bool, default=False
            One row per (experiment, dataset, configuration) instead of per experiment (see
            :mod:`sk_prnet.experiments.config`).

        Returns
        -------
        summary : pandas.DataFrame
            Index ``experiment`` (or ``experiment, dataset, config``); columns ``planned``,
            ``done``, ``missing``, ``complete``.
        missing : pandas.DataFrame
            One row per planned but unfinished unit (its identity fields).
        """
        from .config import config_key

        def group(unit):
            if not by_config:
                return unit["experiment"]
            return unit["experiment"], unit["dataset"], config_key(unit)

        conn = self._connect()
        planned = conn.execute("SELECT unit_key FROM plan").fetchall()
        done = self.done_keys()
        rows, missing = {}, []
        for (key,) in planned:
            unit = json.loads(key)
            r = rows.setdefault(group(unit), {"planned": 0, "done": 0})
            r["planned"] += 1
            if key in done:
                r["done"] += 1
            else:
                missing.append(unit)
        # units finished outside any recorded plan still count as done
        for (key,) in conn.execute(
            "SELECT unit_key FROM units WHERE unit_key NOT IN (SELECT unit_key FROM plan)"
        ):
            r = rows.setdefault(group(json.loads(key)), {"planned": 0, "done": 0})
            r["planned"] += 1
            r["done"] += 1
        names = ["experiment", "dataset", "config"] if by_config else ["experiment"]
        summary = pd.DataFrame(
            [[*((k,) if not by_config else k), v["planned"], v["done"]] for k, v in rows.items()],
            columns=[*names, "planned", "done"],
        ).set_index(names)
        summary["missing"] = summary["planned"] - summary["done"]
        summary["complete"] = summary["missing"] == 0
        missing = pd.DataFrame(missing, columns=list(UNIT_FIELDS))
        missing["params"] = missing["params"].map(lambda p: json.dumps(p, sort_keys=True))
        return summary.sort_index(), missing

    def integrity_check(self):
        """``PRAGMA integrity_check`` result (``"ok"`` for an intact file)."""
        return self._connect().execute("PRAGMA integrity_check").fetchone()[0]


def _is_busy(err):
    """Whether a SQLite error is a lock held by another connection (worth retrying)."""
    text = str(err).lower()
    return "locked" in text or "busy" in text


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception, Ctrl-C included)."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        return False


def load_results(path):
    """Load a results store as a tidy DataFrame, one row per (unit, target, metric).

    Parameters
    ----------
    path : str or Path
        An existing results store written by ``sk-prnet run``.

    Returns
    -------
    df : pandas.DataFrame
        Columns ``unit_id, experiment, dataset, subject, session, repeat, fold, model, alpha,
        epsilon, params`` (JSON text) ``, seed, target, metric, value, wall_time,
        package_version, torch_version, device, finished_at``. ``epsilon`` is NaN for the
        baseline (``alpha=0``), ``subject``/``session``/``repeat`` are ``<NA>`` where the
        protocol has none.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    StoreError
        If ``path`` is not an sk_prnet results store.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sk_prnet.experiments import ResultsStore, load_results
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.sqlite"
    >>> store = ResultsStore(path)
    >>> unit = dict(experiment="x", dataset="d", subject=1, fold=0, model="m", alpha=1.0,
    ...             epsilon=0.25, params={}, seed=0)
    >>> store.add_unit(unit, {("valence", "f1"): 0.5}, wall_time=1.0)
    True
    >>> load_results(path)[["subject", "fold", "target", "metric", "value"]].values.tolist()
    [[1, 0, 'valence', 'f1', 0.5]]
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"The results store {str(path)!r} does not exist.")
    store = ResultsStore(path)
    try:
        return store.results()
    finally:
        store.close()
