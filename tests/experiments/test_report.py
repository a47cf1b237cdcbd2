import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sk_prnet.experiments import format_table, paired_test, subject_means, summary_table
from sk_prnet.experiments.report import stars


@pytest.fixture
def scores():
    rng = np.random.default_rng(0)
    rows = []
    for model, shift in (("base", 0.0), ("prnet", 0.05)):
        for subject in range(1, 6):
            for fold in range(3):
                for target in ("arousal", "valence"):
                    for metric in ("accuracy", "f1"):
                        value = 0.6 + shift + 0.02 * subject + 0.01 * rng.normal()
                        rows.append((model, subject, fold, target, metric, value))
    return pd.DataFrame(rows, columns=["model", "subject", "fold", "target", "metric", "value"])


def test_summary_recomputed_from_raw_rows(scores):
    table = summary_table(scores)
    raw = scores[
        (scores.model == "prnet") & (scores.target == "valence") & (scores.metric == "f1")
    ]
    per_subject = raw.groupby("subject")["value"].mean()
    assert table.loc["prnet", ("valence", "f1", "mean")] == pytest.approx(per_subject.mean())
    assert table.loc["prnet", ("valence", "f1", "std")] == pytest.approx(per_subject.std(ddof=1))
    assert len(subject_means(scores)) == 2 * 5 * 2 * 2


def test_paired_test_matches_scipy(scores):
    res = paired_test(scores, baseline="base", other="prnet", metric="f1")
    means = subject_means(scores)
    for target in ("arousal", "valence"):
        part = means[(means.metric == "f1") & (means.target == target)]
        wide = part.pivot(index="subject", columns="model", values="value")
        expected = stats.ttest_rel(wide["prnet"], wide["base"])
        assert res.loc[target, "p"] == pytest.approx(expected.pvalue)
        assert res.loc[target, "t"] == pytest.approx(expected.statistic)
        assert res.loc[target, "n_subjects"] == 5
    assert set(res["stars"]) <= {"", "*", "**"}


def test_paired_test_errors(scores):
    with pytest.raises(ValueError, match="no 'f1' scores"):
        paired_test(scores, baseline="base", other="ranknet")
    partial = scores[~((scores.model == "prnet") & (scores.subject == 1))]
    with pytest.raises(ValueError, match="same subjects"):
        paired_test(partial, baseline="base", other="prnet")
    with pytest.raises(ValueError, match="lacks columns"):
        summary_table(scores.drop(columns="subject"))


def test_stars_convention():
    assert [stars(p) for p in (0.001, 0.02, 0.2, np.nan)] == ["**", "*", "", ""]


def test_format_table_shows_means_and_p(scores):
    text = format_table(summary_table(scores), paired_test(scores, "base", "prnet"))
    lines = text.splitlines()
    assert lines[0].startswith("| model | arousal accuracy | arousal f1")
    assert any(line.startswith("| prnet |") for line in lines)
    assert "p = " in lines[-1]


def test_corrected_resampled_t_test_matches_the_formula(scores):
    """Nadeau & Bengio: t = mean(d) / sqrt((1/J + n_test/n_train) var(d)) over all J folds."""
    res = paired_test(scores, "base", "prnet", metric="f1", test_fraction=0.5)
    part = scores[(scores.metric == "f1") & (scores.target == "valence")]
    wide = part.pivot_table(index=["subject", "fold"], columns="model", values="value")
    d = (wide["prnet"] - wide["base"]).to_numpy()
    t = d.mean() / np.sqrt((1 / len(d) + 0.5) * d.var(ddof=1))
    assert res.loc["valence", "t"] == pytest.approx(t)
    assert res.loc["valence", "p"] == pytest.approx(2 * stats.t.sf(abs(t), len(d) - 1))
    assert res.loc["valence", "n_subjects"] == 15
    assert res.attrs["test"] == "corrected resampled t-test"
    # the correction only widens: never more significant than the naive test over folds
    naive = stats.ttest_1samp(d, 0.0).pvalue
    assert res.loc["valence", "p"] >= naive
    with pytest.raises(ValueError, match="test_fraction"):
        paired_test(scores, "base", "prnet", test_fraction=0)


def test_sweep_without_epsilon_has_no_epsilon_heading_and_one_repeat_no_nan(tmp_path):
    """A SEED sweep ranks by class order (no epsilon); one subject gives no std."""
    from sk_prnet.experiments import ResultsStore, experiment_tables, render_report

    path = tmp_path / "r.sqlite"
    store = ResultsStore(path)
    for alpha in (0.0, 1.0, 2.0):
        unit = dict(experiment="sweep", dataset="seed", subject=1, session=1, fold=0,
                    model="baseline (alpha=0)" if not alpha else f"PRNet (alpha={alpha:g})",
                    alpha=alpha, epsilon=None, params={}, seed=0)  # fmt: skip
        store.add_unit(unit, {("emotion", "f1"): 0.5 + alpha / 10}, wall_time=0.1)
    store.close()
    from sk_prnet.experiments import load_results

    titles = [t["title"] for t in experiment_tables(load_results(path))]
    assert titles == ["Table VII shape: alpha sweep (seed)"]
    text = render_report(path)
    assert "None" not in text and "nan" not in text
    assert "| PRNet (alpha=2) | 0.700 ± n/a |" in text
    assert "0.700 \\pm n/a" in render_report(path, fmt="latex")
