"""``sk-prnet run affectnet`` end to end on a tiny synthetic AffectNet."""

import pytest

from sk_prnet.cli import main
from sk_prnet.experiments import load_results

pytest.importorskip("PIL")


def test_run_affectnet_writes_every_unit_and_reports(tmp_path, capsys):
    from sk_prnet.datasets import make_synthetic_affectnet

    root = make_synthetic_affectnet(
        tmp_path / "affectnet", n=32, n_validation=12, image_size=(48, 48), random_state=0
    )
    results = tmp_path / "aff.sqlite"
    args = ["run", "affectnet", "--data-dir", str(root), "--results", str(results),
            "--max-steps", "2", "--size", "32", "--batch-size", "8", "--quiet",
            "--no-augment", "--cutoff", "0.5", "full"]  # fmt: skip
    assert main(args) == 0
    df = load_results(results)
    assert set(df["metric"]) == {"rmse", "pcc", "ccc"}
    assert set(df["target"]) == {"arousal", "valence"}
    assert df.groupby(["model", "params"]).ngroups == 4  # 2 models x 2 cut-offs
    assert main(args) == 0  # a re-run finds every unit done and runs nothing
    assert len(load_results(results)) == len(df)
    capsys.readouterr()
    assert main(["report", str(results), "--figures", str(tmp_path / "figures")]) == 0
    out = capsys.readouterr().out
    assert "Table IX" in out and "c = 0.5" in out and "complete (4/4 units)" in out
    assert (tmp_path / "figures" / "affectnet_affectnet_cutoff.png").stat().st_size > 1000


def test_ranknet_units_run_beside_prnet_and_are_reported_with_pcc(tmp_path, capsys):
    """``--ranknet`` adds RankNetRegressor(module="vgg") units (issue 12 item 5)."""
    from sk_prnet import RankNetRegressor
    from sk_prnet.datasets import make_synthetic_affectnet
    from sk_prnet.experiments.affectnet import RANKNET, AffectNetExperiment
    from sk_prnet.metrics import pearson_r

    root = make_synthetic_affectnet(
        tmp_path / "affectnet", n=32, n_validation=12, image_size=(48, 48), random_state=0
    )
    results = tmp_path / "aff.sqlite"
    args = ["run", "affectnet", "--data-dir", str(root), "--results", str(results),
            "--alpha", "1", "--max-steps", "2", "--size", "32", "--batch-size", "8",
            "--quiet", "--no-augment", "--ranknet"]  # fmt: skip
    assert main(args) == 0
    df = load_results(results)
    assert set(df["model"]) == {"PRNet (alpha=1, eps=0.15)", RANKNET}
    ranknet = df[df["model"] == RANKNET]
    assert set(ranknet["metric"]) == {"pcc"} and ranknet["alpha"].isna().all()
    assert set(ranknet["target"]) == {"arousal", "valence"}

    exp = AffectNetExperiment(root, [(1.0, 0.15)], max_steps=2, size=32, batch_size=8,
                              augment=None, ranknet=True)  # fmt: skip
    unit = next(u for u in exp.plan() if u["model"] == RANKNET)
    task = exp.task(unit)
    model, X_train, y_train = task.estimator, task.X_train, task.y_train
    X_valid, y_valid = task.X_test, task.y_test
    assert isinstance(model, RankNetRegressor) and model.module == "vgg"
    # the stored PCC is the PCC of this estimator's predictions (the unit is seeded)
    pred = model.fit(X_train, y_train).predict(X_valid)
    stored = ranknet.set_index("target")["value"]
    assert stored["valence"] == pytest.approx(pearson_r(y_valid[:, 1], pred[:, 1]), abs=1e-6)

    capsys.readouterr()
    assert main(["report", str(results)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(f"| {RANKNET} |"))
    cells = [c.strip() for c in row.strip("|").split("|")][1:]
    header = next(line for line in out.splitlines() if line.startswith("| model |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    for column, cell in zip(columns, cells):
        if column.endswith("pcc"):
            target = column.split()[0]
            assert cell == f"{stored[target]:.3f} ± n/a"  # one split: no std, never "nan"
        else:
            assert cell == "n/a"  # RMSE/CCC: a ranking score has no scale
    assert "nan" not in out
