"""scikit-learn's own API checks on both estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_prnet import PRNetClassifier, PRNetRegressor, RankNetRegressor

# The checks fit tiny datasets and demand e.g. > 83 % training accuracy; the paper's
# 20 epochs at lr 1e-3 are tuned for 1000s of EEG windows, so give the checks a few more
# steps. The regression checks use unscaled targets (std ~100), on which plain MSE training
# at that rate diverges (fit raises TrainingDivergedError): the regressor standardizes them.
# Everything else is the estimators' defaults.
ESTIMATORS = [
    PRNetClassifier(max_epochs=40, lr=0.02, batch_size=16, device="cpu", random_state=0),
    PRNetRegressor(
        max_epochs=40,
        lr=0.02,
        batch_size=16,
        device="cpu",
        random_state=0,
        standardize_target=True,
    ),  # fmt: skip
    RankNetRegressor(max_epochs=40, lr=0.02, batch_size=16, device="cpu", random_state=0),
]


# The only expected failure: float32 matrix products may differ in the last bit (~2e-7
# relative) between batch sizes, so regression outputs on a subset can differ by that much.
EXPECTED_FAILURES = {
    "check_methods_subset_invariance": "float32 BLAS results differ by ~1 ulp across batch sizes"
}


def _expected_failures(estimator):
    return EXPECTED_FAILURES if isinstance(estimator, PRNetRegressor | RankNetRegressor) else {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
