"""Experiments as one protocol: a new experiment is one module (here, this file).

``LosoDeap`` is the worked example of ``docs/extending.md`` ("Adding an experiment"),
verbatim: leave-one-subject-out on DEAP. It is registered, run by the real runner (and
``sk-prnet run loso``) on tiny synthetic DEAP files, resumed, and reported.
"""

import inspect

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_prnet.cli import main
from sk_prnet.datasets import list_deap_subjects, make_synthetic_deap
from sk_prnet.experiments import (
    Experiment,
    FitTask,
    get_experiment,
    load_results,
    register,
    registry,
    render_report,
    run_experiment,
)
from sk_prnet.experiments.report import aggregate, subject_means, summary_table
from sk_prnet.experiments.units import (
    CLASSIFICATION_METRICS,
    data_settings,
    make_unit,
    net_params,
    run_settings,
    unit_seed,
)
from sk_prnet.pipelines import load_deap_recipe, make_deap_pipeline


# ----------------------------------------------------- the example of docs/extending.md
class LosoDeap(Experiment):
    """DEAP, leave one subject out: train on the other subjects, test on one."""

    name = "loso"
    dataset = "deap"
    title = "DEAP, leave one subject out (accuracy in %, macro F1)"
    help = "DEAP, train on the other subjects, test on one"

    def __init__(self, data_dir, alphas=(0.0, 1.0), epsilon=0.25, max_epochs=20, seed=0):
        self.data_dir, self.alphas, self.epsilon = data_dir, list(alphas), epsilon
        self.max_epochs, self.seed, self._data = max_epochs, seed, None

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--data-dir", required=True, help="the DEAP folder")
        parser.add_argument("--alpha", type=float, nargs="+", default=[0.0, 1.0])
        parser.add_argument("--max-epochs", type=int, default=20)

    @classmethod
    def from_args(cls, args):
        return cls(args.data_dir, args.alpha, max_epochs=args.max_epochs)

    def plan(self):
        params = run_settings(max_epochs=self.max_epochs,
                              **data_settings(self.data_dir, ["s[0-9][0-9].dat"]))
        return [make_unit(self.name, self.dataset, (a, self.epsilon if a else None),
                          self.seed, params, subject=s, fold=0)
                for a in self.alphas for s in list_deap_subjects(self.data_dir)]

    def estimator(self, alpha=1.0, epsilon=None, random_state=0):
        params = net_params(alpha, epsilon, random_state, max_epochs=self.max_epochs)
        with sklearn.config_context(enable_metadata_routing=True):  # to ask for the ratings
            return make_deap_pipeline(request_ranking_target=True, **params)

    def task(self, unit):
        if self._data is None:  # every subject, read once
            self._data = load_deap_recipe(self.data_dir)
        d = self._data
        test = d.subject == unit["subject"]
        seed = unit_seed(self.seed, unit["subject"])
        return FitTask(
            unit, self.estimator(unit["alpha"], unit["epsilon"], seed),
            d.X[~test], d.y[~test], d.X[test], d.y[test],
            targets=list(d.target_names), metrics=CLASSIFICATION_METRICS,
            fit_params={"ranking_target": d.ratings[~test]},
        )
# ---------------------------------------------------------------------------------------


@pytest.fixture
def loso():
    """``LosoDeap`` registered for the test only (the registry is global)."""
    cls = register(LosoDeap)
    yield cls
    registry._REGISTRY.pop("loso")


@pytest.fixture(scope="module")
def deap_dir(tmp_path_factory):
    return make_synthetic_deap(tmp_path_factory.mktemp("deap"), n_subjects=3, n_trials=8,
                               trial_seconds=4, random_state=0)  # fmt: skip


def test_a_new_experiment_is_one_module_run_resumed_and_reported(loso, deap_dir, tmp_path):
    path = tmp_path / "r.sqlite"
    report = run_experiment(LosoDeap(deap_dir, max_epochs=1), path, progress=False,
                            log=lambda s: None)  # fmt: skip
    assert (report.planned, report.ran, report.missing) == (6, 6, 0)
    df = load_results(path)
    assert set(df["experiment"]) == {"loso"} and set(df["subject"]) == {1, 2, 3}
    assert set(df["metric"]) == {"accuracy", "f1"}
    assert set(df["target"]) == {"arousal", "valence"}
    # the stored accuracy is that of the unit's own estimator, trained on the other subjects
    experiment = LosoDeap(deap_dir, max_epochs=1)
    unit = next(u for u in experiment.plan() if u["subject"] == 2 and u["alpha"] == 1.0)
    task = experiment.task(unit)
    data = load_deap_recipe(deap_dir)
    assert len(task.y_test) == int((data.subject == 2).sum())
    with sklearn.config_context(enable_metadata_routing=True):
        pred = task.estimator.fit(task.X_train, task.y_train, **task.fit_params).predict(
            task.X_test
        )
    row = df[(df.subject == 2) & (df.alpha == 1.0) & (df.target == "valence")
             & (df.metric == "accuracy")]  # fmt: skip
    assert row["value"].item() == pytest.approx(np.mean(pred[:, 1] == task.y_test[:, 1]))
    # resuming runs nothing; the report lays it out under its own title, with the
    # paired test over subjects
    again = run_experiment(LosoDeap(deap_dir, max_epochs=1), path, progress=False,
                           log=lambda s: None)  # fmt: skip
    assert (again.already_done, again.ran) == (6, 0)
    text = render_report(path)
    assert LosoDeap.title in text and "paired t-test" in text


def test_a_registered_experiment_is_a_command(loso, deap_dir, tmp_path, capsys):
    path = tmp_path / "cli.sqlite"
    args = ["run", "loso", "--data-dir", str(deap_dir), "--alpha", "0", "--max-epochs", "1",
            "--results", str(path), "--quiet"]  # fmt: skip
    assert main(args) == 0
    assert len(load_results(path).drop_duplicates("unit_id")) == 3
    assert get_experiment("loso") is LosoDeap
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "loso" in capsys.readouterr().out


def test_registering_a_second_class_under_a_taken_name_is_refused():
    class Other(LosoDeap):
        name = "deap"

    with pytest.raises(ValueError, match="'deap' is registered already"):
        register(Other)
    names = "affectnet, cutoff, deap, seed, sweep"
    with pytest.raises(KeyError, match=f"No experiment named 'nope'; registered: {names}"):
        get_experiment("nope")


def test_the_runner_has_no_testing_hook_in_its_signature():
    assert "stop_after" not in inspect.signature(run_experiment).parameters


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab"), st.integers(1, 3), st.integers(0, 2),
                          st.floats(0, 1)), min_size=1, max_size=20))  # fmt: skip
def test_summary_and_subject_means_share_one_aggregation(rows):
    df = pd.DataFrame(rows, columns=["model", "subject", "fold", "value"]).assign(
        target="t", metric="m"
    )
    means = subject_means(df)
    for (model, subject), part in df.groupby(["model", "subject"]):
        got = means[(means.model == model) & (means.subject == subject)]["value"].item()
        assert got == pytest.approx(part["value"].mean())
    summary = summary_table(df)
    for model, part in means.groupby("model"):
        values = part["value"].to_numpy()
        assert summary.loc[model, ("t", "m", "mean")] == pytest.approx(values.mean())
        std = summary.loc[model, ("t", "m", "std")]
        if len(values) > 1:
            assert std == pytest.approx(np.std(values, ddof=1))
        else:
            assert np.isnan(std)
    assert aggregate(df, ["model"]).set_index("model")["value"].to_dict() == pytest.approx(
        df.groupby("model")["value"].mean().to_dict()
    )
