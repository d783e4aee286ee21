"""AugmentedClassifier against scikit-learn's and imbalanced-learn's estimator
checks, and the parts of the estimator contract the checks do not pin down:
parameter validation, input validation, fitted state, delegation, tags.

The generators are tiny (2 epochs, 8 hidden units): the checks fit dozens
of times, and they test the contract, not the quality of the rows.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from imblearn.utils.estimator_checks import (
    estimator_checks_generator as imblearn_checks_generator,
)
from sklearn.base import BaseEstimator
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_blobs
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import get_tags, shuffle
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

from synthaug import AugmentedClassifier, TabularVAE


def _vae(**kw):
    return TabularVAE(**{**dict(epochs=2, hidden_dims=(8,), latent_dim=2, random_state=0,
                                device="cpu"), **kw})


class PlainAugmenter(BaseEstimator):
    """Repeats each class's first training row, in the training container; reads
    X with ``np.asarray(X, float)``, as most scikit-learn estimators do. Takes no
    unlabelled rows."""

    def fit(self, X, y):
        self.X_, self.y_ = np.asarray(X, dtype=float), np.asarray(y)
        self.columns_ = X.columns if isinstance(X, pd.DataFrame) else None
        return self

    def sample(self, n_samples=None, y=None):
        rows = np.concatenate([np.flatnonzero(self.y_ == c)[:1].repeat(k) for c, k in y.items()])
        X = self.X_[rows] if self.columns_ is None else pd.DataFrame(self.X_[rows],
                                                                     columns=self.columns_)
        return X, self.y_[rows]


# "auto" searches the ratio by inner cross-validation; 1.0 always augments: both
# code paths are checked. The PlainAugmenter configuration shows which expected
# failures come from TabularVAE (they pass with it).
# The list configuration checks the search among candidates (a generator
# and its curated variant share a fit; two families; one ratio and 2 x 2 folds
# keep it fast).
CHECKED = [
    AugmentedClassifier(LogisticRegression(), _vae(), random_state=0),
    AugmentedClassifier(LogisticRegression(), _vae(), ratio=1.0, random_state=0),
    AugmentedClassifier(LogisticRegression(), PlainAugmenter(), ratio=1.0, random_state=0),
    AugmentedClassifier(LogisticRegression(), [_vae(), _vae(curate=True), PlainAugmenter()],
                        ratios=(1.0,), cv=2, n_repeats=2, random_state=0),
]

MINUS_ONE_IS_A_MARKER = (
    "the check's last step fits labels {-1, 1}; AugmentedClassifier reads -1 as scikit-learn's "
    "unlabelled-row marker (as SelfTrainingClassifier, LabelPropagation and LabelSpreading do, "
    "which the check exempts by name), so one labelled class is left (or, for an augmenter "
    "that takes no unlabelled rows, the marked rows are refused) and fit raises a ValueError "
    "that says so. The string- and object-label steps pass: test_string_and_object_labels "
    "runs them."
)


def _expected_failed_checks(estimator) -> dict[str, str]:
    return {"check_classifiers_classes": MINUS_ONE_IS_A_MARKER}


# about 10 s with the imbalanced-learn checks (one thread per pool): not "slow"
@parametrize_with_checks(CHECKED, expected_failed_checks=_expected_failed_checks,
                         xfail_strict=True)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _imblearn_checks() -> list:
    """imbalanced-learn's classifier checks (it adds them to scikit-learn's), as a
    list: its own parametrize_with_checks hands pytest a generator, which pytest
    deprecates. None is expected to fail."""
    return [
        pytest.param(est, check, id=f"{_augmenter_name(est)}-ratio={est.ratio}-"
                                    f"{check.func.__name__}")
        for est in CHECKED for _, check in imblearn_checks_generator(est)
    ]


def _augmenter_name(est) -> str:
    augs = est.augmenter if isinstance(est.augmenter, list) else [est.augmenter]
    return "+".join(type(a).__name__ for a in augs)


@pytest.mark.parametrize("estimator, check", _imblearn_checks())
def test_imblearn_compatible(estimator, check):
    check(estimator)


def test_string_and_object_labels():
    """check_classifiers_classes without its {-1, 1} step (see MINUS_ONE_IS_A_MARKER),
    on the check's own data."""
    from sklearn.utils.estimator_checks import check_classifiers_predictions

    X, y = make_blobs(n_samples=30, random_state=0, cluster_std=0.1)
    X, y = shuffle(StandardScaler().fit_transform(X), y, random_state=7)
    problems = [(X[y != 2], np.take(["one", "two"], y[y != 2])),
                (X, np.take(["one", "two", "three"], y))]
    for est in CHECKED:
        for X_i, names in problems:
            for names_i in (names, names.astype(object)):
                check_classifiers_predictions(X_i, names_i, "AugmentedClassifier", est)


# ---------------------------------------------------------------- parameters
@pytest.mark.parametrize("params, name", [
    ({"estimator": PlainAugmenter()}, "estimator"),  # no predict
    ({"augmenter": LogisticRegression()}, "augmenter"),  # no sample
    ({"ratio": True}, "ratio"),
    ({"ratio": float("inf")}, "ratio"),
    ({"n_repeats": True}, "n_repeats"),
    ({"cv": 2.0}, "cv"),
    ({"confidence_threshold": 1.0}, "confidence_threshold"),
    ({"overgenerate": 0.9}, "overgenerate"),
    ({"scoring": "no such score"}, "scoring"),
    ({"random_state": "0"}, "random_state"),
    ({"ratios": 1.0}, "ratios"),
])
def test_bad_parameter_raises_invalid_parameter_error(blobs, params, name):
    clf = AugmentedClassifier(LogisticRegression(), PlainAugmenter()).set_params(**params)
    match = f"The '{name}' parameter of AugmentedClassifier must be"
    with pytest.raises(InvalidParameterError, match=match):
        clf.fit(*blobs)


def test_sklearn_param_validation_check():
    """scikit-learn's own check of _parameter_constraints (every parameter declared,
    a bad type or value raises InvalidParameterError); parametrize_with_checks
    does not run it on estimators outside scikit-learn."""
    from sklearn.utils.estimator_checks import check_param_validation

    check_param_validation("AugmentedClassifier", CHECKED[0])


@pytest.mark.parametrize("ratios, error", [
    ((0.5, -1.0), ValueError), ((0.5, "one"), TypeError), ([[1.0]], ValueError), ((), ValueError),
])
def test_bad_ratios_entries_name_the_argument(blobs, ratios, error):
    clf = AugmentedClassifier(LogisticRegression(), PlainAugmenter(), ratios=ratios)
    with pytest.raises(error, match="ratios"):
        clf.fit(*blobs)


# ---------------------------------------------------------------- fitted state
class FailingAugmenter(PlainAugmenter):
    """An augmenter whose fit raises, as a diverging generator's does."""

    def fit(self, X, y):
        raise FloatingPointError("the generator diverged")


class FailingClassifier(LogisticRegression):
    def fit(self, X, y):
        raise RuntimeError("the estimator failed")


def _assert_unfitted(clf):
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert not [k for k in vars(clf) if k.endswith("_")]
    assert not hasattr(clf, "n_features_in_") and not hasattr(clf, "classes_")
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((2, 4)))


@pytest.mark.parametrize("ratio", ["auto", 1.0])
@pytest.mark.parametrize("break_it, error", [
    (dict(augmenter=FailingAugmenter()), FloatingPointError),
    (dict(estimator=FailingClassifier()), RuntimeError),
    (dict(cv=1), InvalidParameterError),
])
def test_failed_fit_leaves_no_fitted_state_even_after_a_good_fit(blobs, ratio, break_it, error):
    X, y = blobs
    clf = AugmentedClassifier(LogisticRegression(), PlainAugmenter(), ratio=ratio,
                              random_state=0).fit(X, y)
    check_is_fitted(clf)
    clf.set_params(**break_it)
    with pytest.raises(error):
        clf.fit(X, y)
    _assert_unfitted(clf)


def test_unfitted_before_fit():
    _assert_unfitted(AugmentedClassifier(LogisticRegression(), PlainAugmenter()))


def test_refit_with_fixed_ratio_drops_the_search_results(blobs):
    clf = AugmentedClassifier(LogisticRegression(), PlainAugmenter(), random_state=0).fit(*blobs)
    assert hasattr(clf, "cv_results_")
    clf.set_params(ratio=1.0).fit(*blobs)
    assert not hasattr(clf, "cv_results_")


# ---------------------------------------------------------------- delegation
def test_probabilistic_methods_follow_the_estimator(blobs):
    X, y = blobs
    ridge = AugmentedClassifier(RidgeClassifier(), PlainAugmenter(), ratio=1.0)
    assert not hasattr(ridge, "predict_proba") and not hasattr(ridge, "predict_log_proba")
    assert hasattr(ridge, "decision_function")
    ridge.fit(X, y)
    assert not hasattr(ridge, "predict_proba")
    np.testing.assert_array_equal(ridge.decision_function(X),
                                  ridge.estimator_.decision_function(X))

    logreg = AugmentedClassifier(LogisticRegression(), PlainAugmenter(), ratio=1.0).fit(X, y)
    for method in ("predict_proba", "predict_log_proba", "decision_function", "predict"):
        np.testing.assert_array_equal(getattr(logreg, method)(X),
                                      getattr(logreg.estimator_, method)(X))
    assert logreg.score(X, y) == (logreg.predict(X) == y).mean()


def test_feature_names_and_count_come_from_the_estimator(blobs):
    X, y = blobs
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = AugmentedClassifier(LogisticRegression(), _vae(), ratio=1.0).fit(df, y)
    assert clf.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    assert clf.n_features_in_ == 4
    clf.fit(X, y)
    assert not hasattr(clf, "feature_names_in_") and clf.n_features_in_ == 4


# ---------------------------------------------------------------- input
def test_sparse_X_is_refused_with_the_fix(blobs):
    X, y = blobs
    with pytest.raises(TypeError, match=r"sparse.*X\.toarray\(\)"):
        AugmentedClassifier(LogisticRegression(), PlainAugmenter()).fit(
            scipy.sparse.csr_matrix(X), y
        )


@pytest.mark.parametrize("y, error, match", [
    (None, ValueError, "requires y to be passed"),
    (np.linspace(0, 1, 60), ValueError, "Unknown label type: continuous"),
    (np.zeros((60, 2), int), ValueError, "Multilabel and multioutput targets are not supported"),
    (np.arange(59) % 3, ValueError, "X has 60 rows but y has 59"),
    (np.array(["a", 1] * 30, dtype=object), TypeError, "mixes strings and numbers"),
    (np.r_[np.zeros(59), np.nan], ValueError, "missing values.*mark those rows -1"),
    (np.repeat([-1, 1], 30), ValueError, "single class.*If -1 is a real class, recode it"),
])
def test_bad_y_is_refused_with_a_clear_message(blobs, y, error, match):
    X, _ = blobs
    with pytest.raises(error, match=match):
        AugmentedClassifier(LogisticRegression(), _vae(), ratio=1.0).fit(X, y)


def test_column_vector_y_is_raveled_with_a_warning(blobs):
    X, y = blobs
    clf = AugmentedClassifier(LogisticRegression(), PlainAugmenter(), ratio=1.0)
    expected = clf.fit(X, y).predict(X)
    for y_2d in (y[:, None], pd.DataFrame({"label": y})):
        with pytest.warns(DataConversionWarning, match="column-vector y") as record:
            clf.fit(X, y_2d)
        assert record[0].filename == __file__  # points at the caller's fit
        np.testing.assert_array_equal(clf.predict(X), expected)


def test_too_small_classes_warning_points_at_the_caller(blobs):
    X, y = blobs
    keep = np.r_[np.flatnonzero(y != 2), np.flatnonzero(y == 2)[:2]]
    with pytest.warns(UserWarning, match="too few to validate") as record:
        AugmentedClassifier(LogisticRegression(), PlainAugmenter()).fit(X[keep], y[keep])
    assert record[0].filename == __file__


def test_lists_object_arrays_and_object_integer_labels_are_accepted(blobs):
    X, y = blobs
    clf = AugmentedClassifier(LogisticRegression(), _vae(), ratio=1.0)
    expected = clf.fit(X, y).predict(X)
    for X_i, y_i in [(X.tolist(), y.tolist()), (X.astype(object), y.astype(object))]:
        np.testing.assert_array_equal(clf.fit(X_i, y_i).predict(X), expected)
        assert clf.classes_.tolist() == [0, 1, 2]


def test_nullable_integer_labels_with_missing_values_are_unlabelled_rows(blobs):
    X, y = blobs
    y_na = pd.Series(np.where(np.arange(60) < 45, y, -99), dtype="Int64").replace(-99, pd.NA)
    y_before = y_na.copy()
    clf = AugmentedClassifier(LogisticRegression(), _vae(), ratio=1.0).fit(X, y_na)
    assert clf.n_unlabelled_ == 15 and clf.classes_.tolist() == [0, 1, 2]
    pd.testing.assert_series_equal(y_na, y_before)


def test_mixed_dataframe_with_missing_values_through_a_pipeline(mixed_df):
    """What users pass today: mixed types and NaN, modelled by the generator,
    encoded for the estimator by a Pipeline; the caller's data is untouched."""
    X, y = mixed_df
    X0, y0 = X.copy(), y.copy()
    encode = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="most_frequent"),
                       OneHotEncoder(handle_unknown="ignore")), ["c", "s", "b"]),
        (SimpleImputer(), ["f", "i"]),
    )
    clf = AugmentedClassifier(make_pipeline(encode, LogisticRegression()), _vae(),
                              ratio=1.0).fit(X, y)
    assert clf.n_synthetic_ == 40 and clf.predict(X).shape == (40,)
    assert clf.classes_.tolist() == ["no", "yes"]
    assert clf.feature_names_in_.tolist() == X.columns.tolist()
    pd.testing.assert_frame_equal(X, X0)
    pd.testing.assert_series_equal(y, y0)


# ---------------------------------------------------------------- tags
def test_tags():
    tags = get_tags(AugmentedClassifier(LogisticRegression(), _vae()))
    assert tags.estimator_type == "classifier" and tags.target_tags.required
    assert not tags.input_tags.sparse
    # X reaches both: NaN and strings only when both take them
    assert not tags.input_tags.allow_nan and not tags.input_tags.string
    hgb = get_tags(AugmentedClassifier(HistGradientBoostingClassifier(), _vae()))
    assert hgb.input_tags.allow_nan and not hgb.input_tags.string
    assert not get_tags(AugmentedClassifier(HistGradientBoostingClassifier(),
                                            PlainAugmenter())).input_tags.allow_nan

    class Untagged:  # an augmenter outside scikit-learn's API: no tags at all
        def fit(self, X, y):
            return self

        def sample(self, n_samples=None, y=None):
            return None

    untagged = get_tags(AugmentedClassifier(HistGradientBoostingClassifier(), Untagged()))
    assert not untagged.input_tags.allow_nan


def test_one_d_y_gives_no_conversion_warning(blobs):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataConversionWarning)
        AugmentedClassifier(LogisticRegression(), PlainAugmenter(), ratio=1.0).fit(X, y)
