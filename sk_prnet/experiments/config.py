"""Configurations: the settings that change a unit's result, besides its model and place.

A unit's identity (its key in the store) is its place (subject, session, repeat, fold), its
model (alpha, epsilon, cut-off) and every setting that changes its result: training length,
learning rate, batch size, recipe, pairing, the data's content, the package version, the
seed... The latter, shared by all units of one run, form the run's *configuration*. A store
may hold several configurations of one experiment (e.g. the same sweep with 150 and with 20
epochs); the report shows each separately and never averages them together.
"""

import hashlib
import json
from pathlib import Path

__all__ = [
    "PER_UNIT_PARAMS",
    "config_key",
    "config_labels",
    "configuration",
    "data_fingerprint",
    "split_configurations",
]

#: Unit parameters that are a row or table axis of the report (like alpha), not part of
#: the configuration.
PER_UNIT_PARAMS = ("cutoff",)


def data_fingerprint(root, patterns, *, blocks=16, block_size=1 << 16):
    """Fingerprint of a data folder's files: names, sizes and sampled content.

    Reading every byte of a dataset (3 GB for DEAP) at each ``sk-prnet run`` would cost
    seconds to minutes; sampling ``blocks`` evenly spaced blocks of each file (1 MiB a file
    by default) detects a replaced, regenerated, truncated or re-exported file, not an edit
    confined to bytes between the sampled blocks.

    Parameters
    ----------
    root : str or Path
        The data folder.
    patterns : sequence of str
        Glob patterns, relative to ``root``, of the files the experiment reads.
    blocks : int, default=16
    block_size : int, default=65536

    Returns
    -------
    fingerprint : str
        16 hexadecimal digits (of a SHA-256), the same on any machine holding the same files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sk_prnet.experiments.config import data_fingerprint
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "s01.dat").write_bytes(b"abc")
    >>> a = data_fingerprint(root, ["s*.dat"])
    >>> _ = (root / "s01.dat").write_bytes(b"abd")
    >>> a != data_fingerprint(root, ["s*.dat"])
    True
    """
    root = Path(root)
    files = sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()})
    digest = hashlib.sha256()
    for path in files:
        size = path.stat().st_size
        digest.update(f"{path.relative_to(root).as_posix()}\0{size}\0".encode())
        with open(path, "rb") as f:
            if size <= blocks * block_size:
                digest.update(f.read())
                continue
            for i in range(blocks):
                f.seek((size - block_size) * i // (blocks - 1))
                digest.update(f.read(block_size))
    return digest.hexdigest()[:16]


def configuration(unit):
    """The configuration of a unit: its seed and its parameters except the per-unit ones.

    Parameters
    ----------
    unit : mapping
        A unit (``params`` a mapping or its JSON text, ``seed``).

    Returns
    -------
    config : dict
    """
    params = unit.get("params") or {}
    if isinstance(params, str):
        params = json.loads(params)
    seed = unit.get("seed")
    config = {k: v for k, v in params.items() if k not in PER_UNIT_PARAMS}
    config["seed"] = None if seed is None or seed != seed else int(seed)
    return config


def config_key(unit):
    """Canonical JSON text of :func:`configuration` (sorted keys)."""
    return json.dumps(configuration(unit), sort_keys=True, separators=(",", ":"))


def config_labels(keys):
    """Short labels of several configurations of one experiment: the settings that differ.

    Parameters
    ----------
    keys : sequence of str
        Distinct :func:`config_key` texts.

    Returns
    -------
    labels : dict
        ``{key: "max_epochs=150"}``; ``""`` for every key when there is only one.

    Examples
    --------
    >>> from sk_prnet.experiments.config import config_labels
    >>> config_labels(['{"lr":0.01,"max_epochs":150}', '{"lr":0.01,"max_epochs":20}'])
    {'{"lr":0.01,"max_epochs":150}': 'max_epochs=150', '{"lr":0.01,"max_epochs":20}': \
'max_epochs=20'}
    """
    keys = list(dict.fromkeys(keys))
    if len(keys) < 2:
        return {k: "" for k in keys}
    configs = [json.loads(k) for k in keys]
    names = sorted({n for c in configs for n in c})
    differ = [n for n in names if len({json.dumps(c.get(n, "n/a")) for c in configs}) > 1]
    return {
        k: ", ".join(f"{n}={_text(c.get(n, 'n/a'))}" for n in differ)
        for k, c in zip(keys, configs)
    }


def _text(value):
    return "default" if value is None else f"{value:g}" if isinstance(value, float) else value


def split_configurations(df, other_keys=None):
    """Split store rows by (experiment, dataset, configuration).

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of :func:`sk_prnet.experiments.load_results` (``params``, ``seed``).
    other_keys : mapping or None
        ``{(experiment, dataset): keys}``: further configurations (e.g. planned ones without
        a finished unit yet) taken into account by the labels.

    Yields
    ------
    experiment, dataset : str
    label : str
        The settings in which this configuration differs from the other configurations of
        the same experiment and dataset (``""`` when it is the only one).
    part : pandas.DataFrame
        Its rows, with a ``config`` column (:func:`config_key`).
    """
    if df.empty:
        return
    df = df.assign(config=[config_key(u) for u in df[["params", "seed"]].to_dict("records")])
    for (experiment, dataset), part in df.groupby(["experiment", "dataset"], sort=True):
        extra = (other_keys or {}).get((experiment, dataset), ())
        labels = config_labels(sorted(set(part["config"]) | set(extra)))
        for key in sorted(set(part["config"]), key=lambda k: (labels[k], k)):
            yield experiment, dataset, labels[key], part[part["config"] == key]
