"""scikit-learn's own API checks on both estimators."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_prnet import PRNetClassifier, PRNetRegressor, RankNetRegressor

# The checks fit tiny datasets and demand e.g. > 83 % training accuracy; the paper's
# 20 epochs at lr 1e-3 are tuned for 1000s of EEG windows, so give the checks a few more
# steps. Everything else is the estimators' defaults.
ESTIMATORS = [
    PRNetClassifier(max_epochs=40, lr=0.02, batch_size=16, device="cpu", random_state=0),
    PRNetRegressor(max_epochs=40, lr=0.02, batch_size=16, device="cpu", random_state=0),
    RankNetRegressor(max_epochs=40, lr=0.02, batch_size=16, device="cpu", random_state=0),
]


# Expected failures, per estimator class, as *strict* xfails: a check listed here must fail
# (an XPASS fails the run), so a fixed bug or a changed estimator shows up at once, and a
# check not listed must pass. RankNetRegressor's float32 matrix products differ in the last
# bit (~2e-7 relative) between batch sizes, so its predictions on a subset differ by that
# much; PRNetRegressor and PRNetClassifier pass every check.
EXPECTED_FAILURES = {
    RankNetRegressor: {
        "check_methods_subset_invariance": (
            "float32 BLAS results differ by ~1 ulp across batch sizes"
        ),
    },
}


def _check_name(check):
    func = getattr(check, "func", check)  # the checks come as functools.partial
    return getattr(func, "__name__", str(func))


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check, request):
    reason = EXPECTED_FAILURES.get(type(estimator), {}).get(_check_name(check))
    if reason is not None:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    check(estimator)
