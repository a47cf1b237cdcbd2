"""A store never averages runs of different settings (issue 11 item 2).

Every setting that changes a result is part of a unit's key and of its run's configuration;
the report shows each configuration of an experiment on its own.
"""

import io
import json

import pandas as pd
import pytest

import sk_prnet
from sk_prnet.cli import main
from sk_prnet.datasets import make_synthetic_deap
from sk_prnet.experiments import (
    DeapExperiment,
    RegressionExperiment,
    ResultsStore,
    load_results,
    render_report,
    report_frame,
    run_experiment,
    sweep_settings,
)
from sk_prnet.experiments.config import config_labels, configuration, data_fingerprint
from sk_prnet.experiments.store import unit_key


def _sweep(max_epochs, **kw):
    return RegressionExperiment(
        "diabetes", sweep_settings([0, 1], [0.25]), n_splits=2, n_repeats=2,
        max_epochs=max_epochs, seed=4, **kw,
    )  # fmt: skip


def _run(exp, path):
    return run_experiment(exp, path, progress=False, log=lambda s: None)


def test_the_same_sweep_with_other_epochs_is_reported_separately_never_averaged(tmp_path):
    mixed, only_2, only_3 = (tmp_path / f"{n}.sqlite" for n in ("mixed", "two", "three"))
    _run(_sweep(3), mixed)
    report = _run(_sweep(2), mixed)  # the second run computes all its units: other keys
    assert (report.already_done, report.ran) == (0, 8)
    assert "1 other configuration(s) of sweep (other max_epochs)" in report.message()
    _run(_sweep(2), only_2)
    _run(_sweep(3), only_3)

    text = render_report(mixed)
    assert "complete (16/16" not in text and "sweep: complete" not in text
    assert "- sweep [max_epochs=2]: complete (8/8 units)" in text
    assert "- sweep [max_epochs=3]: complete (8/8 units)" in text
    assert "sweep holds 2 configurations" in text
    assert "alpha sweep at epsilon = 0.25 (diabetes) [max_epochs=2]" in text
    assert "alpha sweep at epsilon = 0.25 (diabetes) [max_epochs=3]" in text

    # each configuration's numbers are those of a store holding only that run
    frame = report_frame(mixed)
    assert sorted(frame["configuration"].unique()) == ["max_epochs=2", "max_epochs=3"]
    keys = ["model", "target", "metric"]
    for label, alone in (("max_epochs=2", only_2), ("max_epochs=3", only_3)):
        mine = frame[frame["configuration"] == label].set_index(keys).sort_index()
        reference = report_frame(alone).set_index(keys).sort_index()
        pd.testing.assert_series_equal(mine["mean"], reference["mean"])
        pd.testing.assert_series_equal(mine["p_value"], reference["p_value"])
        assert (mine["n"] == 2).all() and (mine["units_done"] == 8).all()


@pytest.mark.parametrize(
    "change",
    [dict(max_epochs=3), dict(lr=0.02), dict(pairing="all"), dict(n_splits=3), dict(seed=5)],
    ids=["epochs", "lr", "pairing", "n_splits", "seed"],
)
def test_every_result_changing_setting_is_part_of_the_unit_key(change):
    base = dict(max_epochs=2, lr=0.01, pairing="split", n_splits=2, seed=4)
    a = RegressionExperiment("diabetes", sweep_settings([1], [0.25]), n_repeats=1, **base)
    b = RegressionExperiment(
        "diabetes", sweep_settings([1], [0.25]), n_repeats=1, **{**base, **change}
    )
    (ua, *_), (ub, *_) = a.plan(), b.plan()
    assert unit_key(ua) != unit_key(ub)
    assert configuration(ua) != configuration(ub)
    assert configuration(ua)["package_version"]  # the package version is part of it too


def test_default_epochs_and_the_same_explicit_value_are_one_setting():
    assert _sweep(None).plan() == _sweep(50).plan()


def test_data_content_is_part_of_the_configuration(tmp_path):
    a = make_synthetic_deap(tmp_path / "a", n_subjects=1, trial_seconds=4, random_state=0)
    b = make_synthetic_deap(tmp_path / "b", n_subjects=1, trial_seconds=4, random_state=1)
    c = make_synthetic_deap(tmp_path / "c", n_subjects=1, trial_seconds=4, random_state=0)
    plans = [DeapExperiment(d, [1], max_epochs=1).plan()[0] for d in (a, b, c)]
    assert plans[0]["params"]["data"] != plans[1]["params"]["data"]  # other content
    assert unit_key(plans[0]) == unit_key(plans[2])  # same content elsewhere: same units
    # the recipe's default epochs (the paper's 20) and the explicit value are one setting
    default, explicit = (DeapExperiment(a, [1], max_epochs=e).plan() for e in (None, 20))
    assert default == explicit


def test_fingerprint_sees_a_change_inside_a_large_file(tmp_path):
    path = tmp_path / "s01.dat"
    data = bytearray(range(256)) * 40_000  # 10 MB: sampled, not read whole
    path.write_bytes(bytes(data))
    before = data_fingerprint(tmp_path, ["s*.dat"])
    data[-1] ^= 1  # the last block is always sampled
    path.write_bytes(bytes(data))
    assert data_fingerprint(tmp_path, ["s*.dat"]) != before
    path.write_bytes(bytes(data[:-1]))  # truncated
    assert len({before, data_fingerprint(tmp_path, ["s*.dat"])}) == 2


def test_labels_name_only_the_differing_settings():
    keys = [
        json.dumps({"lr": 0.01, "max_epochs": 150, "seed": 0}),
        json.dumps({"lr": 0.01, "max_epochs": 20, "seed": 0}),
    ]
    assert config_labels(keys) == {keys[0]: "max_epochs=150", keys[1]: "max_epochs=20"}
    assert config_labels(keys[:1]) == {keys[0]: ""}


def test_a_store_written_before_configurations_opens_and_is_reported_apart(tmp_path):
    """Old stores hold units without package version (and unresolved epochs): they open, and
    their units form a configuration of their own next to the new run's."""
    path = tmp_path / "old.sqlite"
    store = ResultsStore(path)
    old_units = []
    for unit in _sweep(2).plan():
        params = {k: v for k, v in unit["params"].items() if k != "package_version"}
        old_units.append(dict(unit, params=params))
    store.start_run("sweep", old_units)
    for i, unit in enumerate(old_units):
        store.add_unit(unit, {("progression", "ccc"): 0.1 * i}, wall_time=0.1)
    store.close()
    report = _run(_sweep(2), path)
    assert (report.already_done, report.ran) == (0, 8)
    text = render_report(path)
    assert "- sweep [estimator=n/a, package_version=n/a]: complete (8/8 units)" in text
    params = [json.loads(p) for p in load_results(path)["params"]]
    (new,) = {p["estimator"] for p in params if "estimator" in p}
    labels = {f"estimator={new}, package_version={sk_prnet.__version__}"}
    assert set(report_frame(path)["configuration"]) == labels | {
        "estimator=n/a, package_version=n/a"
    }


def test_cli_csv_report_is_one_tidy_table_and_prose_goes_to_stderr(tmp_path, capsys):
    path = tmp_path / "r.sqlite"
    args = ["run", "sweep", "--results", str(path), "--alpha", "0", "1", "--epsilon", "0.25",
            "--n-splits", "2", "--n-repeats", "1", "--max-epochs", "1", "--quiet"]  # fmt: skip
    assert main(args) == 0
    capsys.readouterr()
    assert main(["report", str(path), "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    tidy = pd.read_csv(io.StringIO(out))
    from sk_prnet.experiments.render import CSV_COLUMNS

    assert list(tidy.columns) == list(CSV_COLUMNS)
    assert len(tidy) == len(tidy.drop_duplicates(["model", "target", "metric"])) == 6
    assert "sweep: complete (4/4 units)" in err and "Results store" not in out
    assert set(tidy["device"]) == {"cpu"} and tidy["package_version"].notna().all()
    raw = load_results(path)
    one = raw[(raw.model == "baseline (alpha=0)") & (raw.metric == "rmse")]
    row = tidy[(tidy.model == "baseline (alpha=0)") & (tidy.metric == "rmse")].iloc[0]
    assert row["mean"] == pytest.approx(one["value"].mean()) and row["n"] == 1
    assert pd.isna(row["std"])  # one repeat: no standard deviation


_FINGERPRINTS = """
from sk_prnet.experiments import DeapExperiment, RegressionExperiment, SeedExperiment
from sk_prnet.experiments.affectnet import AffectNetExperiment
from sk_prnet.experiments.execute import estimator_settings
exps = [DeapExperiment("d"), DeapExperiment("d", recipe="authors"), SeedExperiment("s"),
        RegressionExperiment(max_epochs=2), RegressionExperiment(max_epochs=2, lr=0.02),
        AffectNetExperiment("a")]
print(" ".join(estimator_settings(e.reference_estimator()) for e in exps))
"""


def test_the_estimator_parameters_are_settings_stable_across_processes():
    """Defaults no option names (batch size, momentum, selection...) are in the key too."""
    import subprocess
    import sys

    namespace = {}
    exec(_FINGERPRINTS.replace("print(", "namespace = ("), namespace)  # noqa: S102
    here = namespace["namespace"].split()
    there = subprocess.run(
        [sys.executable, "-c", _FINGERPRINTS], capture_output=True, text=True, check=True
    ).stdout.split()
    assert here == there  # no memory address or other per-process text in them
    assert len(set(here)) == len(here)  # every model differs from the others


def test_a_run_records_the_estimator_fingerprint_and_resumes_with_it(tmp_path):
    path = tmp_path / "r.sqlite"
    _run(_sweep(1), path)
    again = _run(_sweep(1), path)
    assert (again.already_done, again.ran) == (8, 0)
    assert load_results(path)["params"].map(lambda p: "estimator" in json.loads(p)).all()
