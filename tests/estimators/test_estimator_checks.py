"""scikit-learn's own API checks on both estimators."""

import numpy as np
import pytest
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


# Expected failures, per estimator class, as *strict* xfails: a check listed here must fail
# (an XPASS fails the run), so a fixed bug or a changed estimator shows up at once, and a
# check not listed must pass.
#
# Minibatch SGD: repeating a row (or dropping a zero-weight one) changes which rows share a
# batch and how many steps an epoch has, so weights equal repetitions per batch loss (tested
# by hand in test_weights.py), not after training; as scikit-learn's own SGD estimators.
SAMPLE_WEIGHT_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": "minibatches differ with repeated rows",
}
# Two checks fit inputs drawn around 100 (never scaled): plain SGD on them blows the
# regression network up to an infinite loss within a few steps, and fit raises
# TrainingDivergedError, as documented, instead of returning a network of NaNs.
UNSCALED_INPUT_FAILURES = {
    check: "inputs ~ N(100, 1), unscaled: SGD diverges and fit raises TrainingDivergedError"
    for check in ("check_fit_check_is_fitted", "check_n_features_in")
}
# float32 matrix products differ in the last bit (~2e-7 relative) between batch sizes, so
# a regressor's predictions on a subset differ by that much (measured: 2.8e-7 absolute).
ULP_FAILURES = {
    "check_methods_subset_invariance": "float32 BLAS results differ by ~1 ulp across batch sizes"
}
EXPECTED_FAILURES = {
    PRNetClassifier: SAMPLE_WEIGHT_FAILURES,
    PRNetRegressor: {**SAMPLE_WEIGHT_FAILURES, **UNSCALED_INPUT_FAILURES, **ULP_FAILURES},
    RankNetRegressor: {**SAMPLE_WEIGHT_FAILURES, **ULP_FAILURES},
}


def _check_name(check):
    func = getattr(check, "func", check)  # the checks come as functools.partial
    return getattr(func, "__name__", str(func))


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check, request):
    name = _check_name(check)
    reason = EXPECTED_FAILURES.get(type(estimator), {}).get(name)
    if reason is not None:
        # the last-bit differences depend on the CPU's BLAS kernels (an Intel Xeon gave
        # bit-equal subsets): not strict there; test_subset_predictions_agree_to_rounding
        # checks the size of the difference
        strict = name not in ULP_FAILURES
        request.applymarker(pytest.mark.xfail(strict=strict, reason=reason))
    check(estimator)


@pytest.mark.parametrize("estimator", [PRNetRegressor, RankNetRegressor])
def test_subset_predictions_agree_to_rounding(estimator):
    # what check_methods_subset_invariance asks, to float32 rounding: predicting a subset
    # gives that subset's rows of predicting the whole set
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = X[:, 0] + 0.1 * rng.normal(size=60)
    est = estimator(max_epochs=2, batch_size=16, device="cpu", random_state=0).fit(X, y)
    whole = est.predict(X)
    np.testing.assert_allclose(est.predict(X[10:27]), whole[10:27], rtol=1e-5, atol=1e-6)
