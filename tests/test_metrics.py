"""synthaug.metrics: fidelity, utility and privacy numbers on small tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from scipy.special import ndtri
from scipy.stats import ks_2samp
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from synthaug import metrics
from synthaug.codecs.tabular import TabularCodec


def _numeric_table(n, seed, shift=0.0):
    rng = np.random.RandomState(seed)
    return pd.DataFrame({
        "f": rng.normal(size=n) + shift,
        "c": rng.choice(["a", "b", "c"], n),
    })


# ----------------------------------------------------------------- fidelity
def test_marginals_of_identical_tables_are_zero(mixed_df):
    X, _ = mixed_df
    out = metrics.marginal_distances(X, X)
    assert list(out.columns) == [
        "column", "kind", "metric", "distance", "missing_real", "missing_synthetic"]
    assert out["column"].tolist() == ["f", "i", "c", "s", "b"]
    assert out["kind"].tolist() == ["numeric"] * 2 + ["categorical"] * 3
    assert out["metric"].tolist() == ["ks"] * 2 + ["tvd"] * 3
    assert (out["distance"] == 0).all()
    assert out["missing_real"].tolist() == [3 / 40, 0, 0, 1 / 40, 0]


def test_marginals_hand_computed():
    real = pd.DataFrame({"x": [1.0, 2, 3, 4], "c": ["a", "a", "b", "c"]})
    syn = pd.DataFrame({"x": [3.0, 4, 5, 6], "c": ["a", "b", "b", "b"]})
    # KS: CDF gap of 0.5 at x=2; TVD: 0.5 * (|.5-.25| + |.25-.75| + |.25-0|)
    assert metrics.marginal_distances(real, syn)["distance"].tolist() == [0.5, 0.5]
    # two missing values of four: the missing-rate gap shows in the KS statistic
    holes = pd.DataFrame({"x": [1.0, 2, np.nan, np.nan], "c": ["a", "a", None, None]})
    out = metrics.marginal_distances(real, holes)
    assert out["distance"].tolist() == [0.5, 0.5]
    assert out["missing_synthetic"].tolist() == [0.5, 0.5]


def test_ks_matches_scipy_and_grows_with_shift():
    rng = np.random.RandomState(1)
    a, b = rng.normal(size=(50, 1)), rng.normal(0.3, 1.0, size=(70, 1))
    ks = metrics.marginal_distances(a, b)["distance"][0]
    assert ks == pytest.approx(ks_2samp(a[:, 0], b[:, 0]).statistic)
    assert metrics.marginal_distances(a, a + 5.0)["distance"][0] > 0.9


def test_association_sees_broken_dependence_that_marginals_miss():
    rng = np.random.RandomState(0)
    x = rng.normal(size=200)
    real = pd.DataFrame({"x": x, "y": x + 0.3 * rng.normal(size=200),
                         "c": np.where(x > 0, "pos", "neg")})
    # each column shuffled on its own: same marginals, no dependence
    shuffled = pd.DataFrame({c: rng.permutation(real[c].to_numpy()) for c in real})
    assert (metrics.marginal_distances(real, shuffled)["distance"] == 0).all()
    assert metrics.association_difference(real, real) == pytest.approx(0, abs=1e-12)
    assert metrics.association_difference(real, shuffled) > 0.5
    assert np.isnan(metrics.association_difference(real[["x"]], shuffled[["x"]]))


def test_detection_auc():
    real = _numeric_table(100, 0)
    assert abs(metrics.detection_auc(real, _numeric_table(100, 1)) - 0.5) < 0.1
    assert metrics.detection_auc(real, _numeric_table(100, 1, shift=4.0)) > 0.95
    # copies of the real rows: the held-out row's twin sits in the training
    # folds with the opposite label, so the classifier guesses wrong (AUC < 0.5)
    assert metrics.detection_auc(real, real) < 0.3


def test_fidelity_report_summarises():
    real, syn = _numeric_table(60, 0), _numeric_table(60, 1, shift=3.0)
    report = metrics.fidelity_report(real, syn, cv=3)
    marg = metrics.marginal_distances(real, syn)["distance"]
    assert report["marginal_max"] == marg.max() > 0.8
    assert report["marginal_mean"] == pytest.approx(marg.mean())
    assert report["association_difference"] >= 0
    assert report["detection_auc"] > 0.9


# ------------------------------------------------------------------ utility
@pytest.fixture
def dummy_split():
    X_train, y_train = np.arange(4.0)[:, None], np.array(["a", "a", "a", "b"])
    X_syn, y_syn = np.arange(8.0)[:, None], np.array(["b"] * 8)
    X_test, y_test = np.arange(4.0)[:, None], np.array(["a", "a", "a", "b"])
    return X_train, y_train, X_syn, y_syn, X_test, y_test


def test_utility_hand_computed(dummy_split):
    X_train, y_train, X_syn, y_syn, X_test, y_test = dummy_split
    est = DummyClassifier(strategy="most_frequent")
    assert metrics.trtr(est, X_train, y_train, X_test, y_test) == 0.75  # predicts "a"
    assert metrics.tstr(est, X_syn, y_syn, X_test, y_test) == 0.25  # predicts "b"
    # f1 for "a" is 0, for "b" 2 * (1/4 * 1) / (1/4 + 1) = 0.4
    assert metrics.tstr(est, X_syn, y_syn, X_test, y_test, scoring="f1_macro") == (
        pytest.approx(0.2))
    # real + synthetic: 3 "a" vs 9 "b", so the majority flips and accuracy drops
    assert metrics.augmentation_gain(est, *dummy_split) == pytest.approx(-0.5)
    scores = metrics.augmentation_gain(est, *dummy_split, return_scores=True)
    assert scores == pytest.approx({"real": 0.75, "augmented": 0.25, "gain": -0.5})
    assert not hasattr(est, "classes_"), "the caller's estimator must not be fitted"


def test_utility_encode_handles_mixed_types(mixed_df):
    X, _ = mixed_df
    y = np.where(X["s"] == "green", "g", "other")
    test = X.copy()
    test["s"] = test["s"].astype(object)
    test.loc[0, "s"] = "purple"  # a category never seen in training
    y_test = np.where(test["s"] == "green", "g", "other")
    est = LogisticRegression(C=100.0)
    assert metrics.trtr(est, X, y, test, y_test, encode=True) == 1.0
    gain = metrics.augmentation_gain(est, X, y, X, y, test, y_test, encode=True)
    assert gain == 0.0


def test_utility_validation(dummy_split):
    X_train, y_train, X_syn, y_syn, X_test, y_test = dummy_split
    est = DummyClassifier()
    with pytest.raises(ValueError, match="y_syn"):
        metrics.tstr(est, X_syn, y_syn[:-1], X_test, y_test)
    with pytest.raises(ValueError, match="X_test"):
        metrics.trtr(est, X_train, y_train, np.zeros((4, 2)), y_test)
    with pytest.raises(ValueError, match="X_syn"):
        metrics.augmentation_gain(est, X_train, y_train, np.zeros((8, 3)), y_syn,
                                  X_test, y_test)
    with pytest.raises(ValueError, match="not_a_scorer"):
        metrics.trtr(est, X_train, y_train, X_test, y_test, scoring="not_a_scorer")


# ------------------------------------------------------------------ privacy
def test_dcr_of_copies_is_exactly_zero(mixed_df):
    X, _ = mixed_df
    assert np.array_equal(metrics.distance_to_closest_record(X, X.iloc[::-1]), np.zeros(40))


def test_dcr_hand_computed():
    train = np.array([[0.0], [1.0], [2.0]])  # normal scores ndtri(1/6), 0, ndtri(5/6)
    syn = np.array([[1.0], [0.5], [7.0]])  # 0.5 -> ndtri(1/3); 7 clamps to the max
    d = metrics.distance_to_closest_record(train, syn)
    assert d == pytest.approx([0.0, abs(ndtri(1 / 3)), 0.0])
    # categorical: one differing category (seen or new) costs sqrt(2)
    train = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]})
    syn = pd.DataFrame({"a": ["x", "z"], "b": ["v", "u"]})
    assert metrics.distance_to_closest_record(train, syn) == pytest.approx([2**0.5] * 2)


def test_dcr_agrees_with_brute_force(blobs):
    X, _ = blobs
    train, syn = X[:40], X[40:] + 0.1
    codec = TabularCodec().fit(train)
    inside = np.clip(syn, train.min(0), train.max(0))  # the codec clamps at the range
    expected = cdist(codec.transform(inside), codec.transform(train)).min(axis=1)
    assert metrics.distance_to_closest_record(train, syn) == pytest.approx(expected)


def test_dcr_accepts_missing_values_unseen_in_train():
    train = pd.DataFrame({"f": [0.0, 1.0, 2.0], "s": ["a", "b", "a"]})
    syn = pd.DataFrame({"f": [1.0, np.nan], "s": ["b", None]})
    d = metrics.distance_to_closest_record(train, syn)
    assert d[0] == 0.0 and d[1] > 2**0.5


def test_exact_copy_rate(mixed_df):
    X, _ = mixed_df
    assert metrics.exact_copy_rate(X, X.iloc[::-1]) == 1.0
    # the codec's decode differs from the input by float rounding only
    codec = TabularCodec().fit(X)
    assert metrics.exact_copy_rate(X, codec.inverse_transform(codec.transform(X))) == 1.0
    moved = X.copy()
    moved.loc[:19, "f"] += 1e-3
    moved.loc[:19, "i"] += 100  # rows whose f is missing still differ
    assert metrics.exact_copy_rate(X, moved) == 0.5
    nudged = X.assign(f=X["f"] * (1 + 1e-13))
    assert metrics.exact_copy_rate(X, nudged) == 1.0
    assert metrics.exact_copy_rate(X, nudged, rtol=0.0) == pytest.approx(3 / 40)
    # the same values held in other containers and dtypes still match
    as_objects = X.astype({"c": object, "b": object}).to_numpy()
    assert metrics.exact_copy_rate(X.to_numpy(dtype=object), as_objects) == 1.0


def test_privacy_report_against_holdout(blobs):
    X, _ = blobs
    train, holdout = X[:40], X[40:]
    report = metrics.privacy_report(train, train[::-1], holdout)
    assert report["dcr_median"] == report["dcr_p05"] == 0.0
    assert report["exact_copy_rate"] == 1.0
    assert report["holdout_exact_copy_rate"] == 0.0
    assert report["holdout_dcr_p05"] > 0 and report["dcr_below_holdout_p05"] == 1.0
    alone = metrics.privacy_report(train, holdout)
    assert set(alone) == {"dcr_median", "dcr_p05", "exact_copy_rate"}
    assert alone["dcr_median"] == report["holdout_dcr_median"]


# ------------------------------------------------------- inputs and checks
def test_inputs_are_never_modified(mixed_df):
    X, y = mixed_df
    syn = X.iloc[::-1].reset_index(drop=True)
    before_X, before_syn = X.copy(), syn.copy()
    arr = X.to_numpy(dtype=object)
    before_arr = arr.copy()
    metrics.marginal_distances(X, syn)
    metrics.association_difference(X, syn)
    metrics.detection_auc(X, syn, cv=2, estimator=LogisticRegression())
    metrics.privacy_report(X, syn, syn)
    metrics.exact_copy_rate(arr, arr[::-1])
    metrics.trtr(LogisticRegression(), X, y, syn, y, encode=True)
    pd.testing.assert_frame_equal(X, before_X)
    pd.testing.assert_frame_equal(syn, before_syn)
    assert (pd.isna(arr) == pd.isna(before_arr)).all()
    assert (arr[~pd.isna(arr)] == before_arr[~pd.isna(before_arr)]).all()


def test_columns_matched_by_name_and_order_ignored(mixed_df):
    X, _ = mixed_df
    out = metrics.marginal_distances(X, X[X.columns[::-1]])
    assert (out["distance"] == 0).all() and out["column"].tolist() == list(X.columns)


@pytest.mark.parametrize("func", [
    metrics.marginal_distances, metrics.association_difference, metrics.detection_auc,
    metrics.distance_to_closest_record, metrics.exact_copy_rate, metrics.privacy_report,
])
def test_mismatched_columns_name_the_argument(func):
    a = pd.DataFrame({"x": np.arange(10.0), "y": np.arange(10.0)})
    second = "train" if func in (metrics.distance_to_closest_record, metrics.exact_copy_rate,
                                 metrics.privacy_report) else "real"
    with pytest.raises(ValueError, match=rf"synthetic columns differ from those of {second}"):
        func(a, a.rename(columns={"y": "z"}))
    with pytest.raises(ValueError, match="synthetic has 1 columns"):
        func(a.to_numpy(), a.to_numpy()[:, :1])


def test_bad_inputs():
    a = pd.DataFrame({"x": np.arange(10.0), "s": list("ababababab")})
    with pytest.raises(ValueError, match="synthetic must be 2-dimensional"):
        metrics.marginal_distances(a, np.arange(10.0))
    with pytest.raises(ValueError, match="real has shape"):
        metrics.marginal_distances(a.iloc[:0], a)
    with pytest.raises(ValueError, match="column 's' is categorical in real, numeric in synthetic"):
        metrics.marginal_distances(a, a.assign(s=1.0))
    with pytest.raises(ValueError, match="inf"):
        metrics.exact_copy_rate(a, a.assign(x=np.inf))
    with pytest.raises(TypeError, match="synthetic column 's'"):
        metrics.marginal_distances(a, a.assign(s=["a", 1] * 5))
    with pytest.raises(ValueError, match="cv=5"):
        metrics.detection_auc(a, a.iloc[:3])
