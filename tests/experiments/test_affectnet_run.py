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
