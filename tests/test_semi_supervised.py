"""Unlabelled rows in fit(X, y): scikit-learn's semi-supervised convention.

-1 marks an unlabelled row for numeric labels, None/NaN for string labels;
the tabular models learn the data from every row and the classes from the
labelled ones; AugmentedClassifier hands unlabelled rows to the augmenter
only. Tiny models: seconds in all.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from synthaug import AugmentedClassifier, TabularGAN, TabularVAE
from synthaug.core.validation import check_y_semi, unlabelled_mask

TINY = dict(epochs=4, hidden_dims=(16,), device="cpu", random_state=0)
MODELS = {
    "vae": lambda **kw: TabularVAE(latent_dim=4, batch_size=64, **{**TINY, **kw}),
    "gan": lambda **kw: TabularGAN(latent_dim=4, discriminator_dims=(16,), **{**TINY, **kw}),
}


def _data(n_lab=10, n_pool=60, shift=4.0, seed=0):
    """Two labelled classes around 0 and 1.5, and a pool around ``shift``."""
    rng = np.random.RandomState(seed)
    X_lab = np.r_[rng.normal(0, 1, (n_lab, 2)), rng.normal(1.5, 1, (n_lab, 2))]
    y_lab = np.repeat([0, 1], n_lab)
    X_pool = rng.normal(shift, 1, (n_pool, 2))
    return X_lab, y_lab, X_pool


@pytest.fixture(params=sorted(MODELS))
def make_model(request):
    return MODELS[request.param]


# ----------------------------------------------------------- convention
@pytest.mark.parametrize(
    "y, classes",
    [
        (np.array([0, 1, -1, 0, 1, -1]), [0, 1]),
        (np.array([0.0, 1.0, -1.0, 0.0, 1.0, -1.0]), [0.0, 1.0]),
        (np.array(["a", "b", None, "a", "b", np.nan], dtype=object), ["a", "b"]),
        (pd.Series(["a", "b", None, "a", "b", None]), ["a", "b"]),
        (pd.Series([3, 5, None, 3, 5, -1], dtype="Int64"), [3, 5]),
    ],
    ids=["int", "float", "object", "series", "nullable-int"],
)
def test_markers(y, classes):
    got, idx, counts = check_y_semi(y, 6)
    assert got.tolist() == classes
    assert idx.tolist() == [0, 1, -1, 0, 1, -1]
    assert counts.tolist() == [2, 2]
    assert unlabelled_mask(y).tolist() == [False, False, True, False, False, True]


def test_string_minus_one_is_a_label():
    # only the number -1 is a marker; the string "-1" is an ordinary class
    assert not unlabelled_mask(np.array(["-1", "a"], dtype=object)).any()


@pytest.mark.parametrize(
    "y, match",
    [
        ([-1] * 6, r"every row of y is marked unlabelled.*fit without y"),
        ([None] * 6, r"every row of y is marked unlabelled"),
        ([0, 0, -1, -1, 0, -1], r"single class.*labelled rows.*marked unlabelled"),
        ([0, 1, 1, -1, -1, 1], r"\[0\] in y.*single row.*labelled rows"),
        ([0.0, 1.0, np.nan, 0.0, 1.0, 1.0], r"missing"),  # NaN is no numeric marker
    ],
)
def test_validation_errors(make_model, y, match):
    X = np.random.RandomState(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match=match):
        make_model().fit(X, np.array(y, dtype=object if None in y else None))


@pytest.mark.parametrize("labels", ["int", "str"])
def test_fit_sample_never_returns_marker(make_model, labels):
    X_lab, y_lab, X_pool = _data()
    if labels == "int":
        y = np.r_[y_lab, -np.ones(len(X_pool), int)]
        marker = -1
    else:
        y = np.r_[np.where(y_lab == 0, "no", "yes").astype(object), [None] * len(X_pool)]
        marker = None
    est = make_model().fit(np.r_[X_lab, X_pool], y)
    assert est.n_unlabelled_ == len(X_pool)
    assert marker not in est.classes_.tolist() and len(est.classes_) == 2
    assert est.class_counts_.tolist() == [10, 10]
    X_syn, y_syn = est.sample(300)
    assert set(y_syn.tolist()) == set(est.classes_.tolist())
    # asking for the -1 marker is an unknown label (sample's y=None means
    # "the labelled rows' class proportions", as always)
    if labels == "int":
        with pytest.raises(ValueError):
            est.sample(5, y=marker)


def test_fit_resample_refuses_unlabelled(make_model):
    X_lab, y_lab, X_pool = _data()
    y = np.r_[y_lab, -np.ones(len(X_pool), int)]
    with pytest.raises(ValueError, match=r"fit_resample got 60 row\(s\) marked unlabelled"):
        make_model().fit_resample(np.r_[X_lab, X_pool], y)


def test_labelled_only_fit_unchanged(make_model):
    """Without markers fit is exactly what it was (same samples)."""
    X_lab, y_lab, _ = _data()
    a = make_model().fit(X_lab, y_lab).sample(50)[0]
    b = make_model(pseudo_labels=0.9).fit(X_lab, y_lab).sample(50)[0]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("threshold", [None, 0.8, "soft"])
def test_pool_changes_model_toward_pool(threshold):
    X_lab, y_lab, X_pool = _data(n_pool=200, shift=5.0)
    kw = dict(epochs=40, pseudo_labels=threshold)
    alone = MODELS["vae"](**kw).fit(X_lab, y_lab)
    both = MODELS["vae"](**kw).fit(np.r_[X_lab, X_pool], np.r_[y_lab, -np.ones(200, int)])
    m_alone = alone.sample(2000)[0].mean()
    m_both = both.sample(2000)[0].mean()
    assert m_both > m_alone + 0.5  # pool mean 5, labelled mean 0.75
    if threshold is not None:
        assert both.n_pseudo_labelled_ > 0


def test_deterministic(make_model):
    X_lab, y_lab, X_pool = _data()
    X, y = np.r_[X_lab, X_pool], np.r_[y_lab, -np.ones(len(X_pool), int)]
    a = make_model(pseudo_labels=0.7).fit(X, y).sample(40)
    b = make_model(pseudo_labels=0.7).fit(X, y).sample(40)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("value", [1.5, -0.1, "hard"])
def test_bad_pseudo_labels(make_model, value):
    with pytest.raises(ValueError, match="pseudo_labels"):
        make_model(pseudo_labels=value).fit(*_data()[:2])


def test_soft_pseudo_labels_deterministic_and_counted(make_model):
    X_lab, y_lab, X_pool = _data()
    X, y = np.r_[X_lab, X_pool], np.r_[y_lab, -np.ones(len(X_pool), int)]
    a = make_model().fit(X, y)
    assert a.pseudo_labels == "soft" and a.n_pseudo_labelled_ == len(X_pool)
    assert a.class_counts_.tolist() == [10, 10]  # labelled rows only
    np.testing.assert_array_equal(a.sample(30)[0], make_model().fit(X, y).sample(30)[0])


# ------------------------------------------------- AugmentedClassifier
class RecordingVAE(TabularVAE):
    """Records every (X, y) it is fitted on (on the class: clones share it)."""

    calls: list = []

    def fit(self, X, y=None):
        RecordingVAE.calls.append((np.asarray(X).copy(), np.asarray(y).copy()))
        return super().fit(X, y)


class RecordingLogReg(ClassifierMixin, BaseEstimator):
    fits: list = []
    scored: list = []

    def fit(self, X, y):
        RecordingLogReg.fits.append((np.asarray(X).copy(), np.asarray(y).copy()))
        self.clf_ = LogisticRegression().fit(X, y)
        self.classes_ = self.clf_.classes_
        return self

    def predict(self, X):
        RecordingLogReg.scored.append(np.asarray(X).copy())
        return self.clf_.predict(X)

    def predict_proba(self, X):
        return self.clf_.predict_proba(X)


def _rows_in(A, B):
    """Which rows of A occur (exactly) among the rows of B."""
    return np.array([(np.abs(B - a).sum(1) == 0).any() for a in A])


@pytest.mark.parametrize("ratio", ["auto", 1.0])
def test_augmented_classifier_pool_to_augmenter_only(ratio):
    RecordingVAE.calls.clear()
    RecordingLogReg.fits.clear()
    RecordingLogReg.scored.clear()
    X_lab, y_lab, X_pool = _data(n_lab=12)
    X, y = np.r_[X_lab, X_pool], np.r_[y_lab, -np.ones(len(X_pool), int)]
    aug = RecordingVAE(epochs=3, hidden_dims=(8,), latent_dim=2, device="cpu", random_state=0)
    # two repeats: the count below (the default repeats more on small data)
    clf = AugmentedClassifier(RecordingLogReg(), aug, ratio=ratio, ratios=(1.0,),
                              cv=3, n_repeats=2, random_state=0).fit(X, y)
    assert clf.n_unlabelled_ == len(X_pool)
    assert clf.classes_.tolist() == [0, 1]
    # every augmenter fit saw the whole pool, marked -1
    assert RecordingVAE.calls
    for Xa, ya in RecordingVAE.calls:
        assert _rows_in(X_pool, Xa).all()
        assert (ya == -1).sum() == len(X_pool)
    # the estimator never saw a -1 label, and never a pool row
    assert RecordingLogReg.fits
    for Xe, ye in RecordingLogReg.fits:
        assert -1 not in ye.tolist()
        assert not _rows_in(X_pool, Xe).any()
    # inner validation rows are labelled rows, never pool rows
    for Xs in RecordingLogReg.scored:
        assert not _rows_in(X_pool, Xs).any()
    if ratio == "auto":
        # 3 folds x 2 repeats (+ final fit)
        assert len(RecordingVAE.calls) == 6 + (clf.ratio_ > 0)
        for Xa, ya in RecordingVAE.calls[:6]:
            # a fold's augmenter never saw that fold's validation rows
            assert (ya != -1).sum() == len(y_lab) - len(y_lab) // 3


def test_augmented_classifier_string_pool_and_refusal():
    X_lab, y_lab, X_pool = _data(n_lab=8)
    y = np.r_[np.where(y_lab == 0, "a", "b").astype(object), [None] * len(X_pool)]
    clf = AugmentedClassifier(LogisticRegression(), MODELS["vae"](), ratio=1.0).fit(
        np.r_[X_lab, X_pool], y
    )
    assert clf.classes_.tolist() == ["a", "b"] and clf.n_unlabelled_ == len(X_pool)

    class NoPool(BaseEstimator):  # an augmenter that cannot take unlabelled rows
        def fit(self, X, y):
            raise AssertionError("never reached: the unlabelled rows are refused first")

        def sample(self, n_samples=None, y=None):
            raise AssertionError("never reached")

    with pytest.raises(ValueError, match="cannot learn from unlabelled rows"):
        AugmentedClassifier(LogisticRegression(), NoPool(), ratio=1.0).fit(
            np.r_[X_lab, X_pool], y
        )


def test_spread_pseudo_labels_follow_clusters_a_linear_model_misses():
    """Label spreading labels two interleaved moons from 3 rows each; a
    logistic regression on the labelled rows cannot (a straight boundary)."""
    from sklearn.datasets import make_moons

    from synthaug.core.semi import _proba as _pseudo_label_proba

    X, truth = make_moons(300, noise=0.04, random_state=0)
    y = -np.ones(300, int)
    for c in (0, 1):
        y[np.flatnonzero(truth == c)[:3]] = c
    pool = y < 0
    acc = {}
    for spread in (True, False):
        proba, classes = _pseudo_label_proba(X, y, spread=spread)
        assert classes.tolist() == [0, 1]
        np.testing.assert_allclose(proba.sum(1), 1.0)
        acc[spread] = (classes[proba.argmax(1)] == truth[pool]).mean()
    assert acc[True] >= 0.97 and acc[True] > acc[False] + 0.05


def test_spread_pseudo_labels_in_fit(make_model):
    X_lab, y_lab, X_pool = _data()
    X, y = np.r_[X_lab, X_pool], np.r_[y_lab, -np.ones(len(X_pool), int)]
    a = make_model(pseudo_labels="spread").fit(X, y)
    assert a.n_pseudo_labelled_ == len(X_pool) and a.class_counts_.tolist() == [10, 10]
    b = make_model(pseudo_labels="spread").fit(X, y)
    np.testing.assert_array_equal(a.sample(30)[0], b.sample(30)[0])


# ------------------------------------------------------------------- M2
def _blobs_with_pool(n_labelled=4, seed=1):
    from sklearn.datasets import make_blobs

    X, truth = make_blobs(300, centers=3, n_features=5, cluster_std=2.5, random_state=seed)
    y = -np.ones(len(X), int)
    for c in range(3):
        y[np.flatnonzero(truth == c)[:n_labelled]] = c
    return X, y, truth


def _class_agreement(est, X, truth) -> float:
    """Share of sampled rows whose nearest real row has the sampled label."""
    S, ys = est.sample(300, random_state=1)
    nearest = ((S[:, None, :] - X[None]) ** 2).sum(-1).argmin(1)
    return float((truth[nearest] == ys).mean())


@pytest.mark.slow
def test_m2_learns_the_classes_from_the_pool():
    """With 4 labelled rows per class and a pool, M2's jointly trained
    classifier gives the unlabelled rows their classes during training: the
    class-conditional samples land far more often in their class than when
    the pool trains as "label unknown" (0.95 vs 0.48 on this toy)."""
    X, y, truth = _blobs_with_pool()
    m2 = TabularVAE(epochs=150, pseudo_labels="m2", random_state=0, device="cpu").fit(X, y)
    unknown = TabularVAE(epochs=150, pseudo_labels=None, random_state=0, device="cpu").fit(X, y)
    assert list(m2.history_) == ["loss", "reconstruction", "kl", "classifier"]
    assert m2.history_["classifier"][-1] < m2.history_["classifier"][0]
    assert m2.n_pseudo_labelled_ == m2.n_unlabelled_ == 288
    assert _class_agreement(m2, X, truth) > _class_agreement(unknown, X, truth) + 0.3


def test_m2_without_unlabelled_rows_is_the_plain_vae():
    X, y, _ = _blobs_with_pool()
    labelled = y >= 0
    a = TabularVAE(epochs=5, pseudo_labels="m2", random_state=0, device="cpu")
    b = TabularVAE(epochs=5, random_state=0, device="cpu")
    Sa, _ = a.fit(X[labelled], y[labelled]).sample(20)
    Sb, _ = b.fit(X[labelled], y[labelled]).sample(20)
    np.testing.assert_array_equal(Sa, Sb)
    assert "classifier" not in a.history_


def test_m2_is_deterministic_and_a_vae_option_only():
    X, y, _ = _blobs_with_pool()
    fits = [TabularVAE(epochs=3, pseudo_labels="m2", random_state=0, device="cpu").fit(X, y)
            for _ in range(2)]
    assert fits[0].history_ == fits[1].history_
    np.testing.assert_array_equal(fits[0].sample(10)[0], fits[1].sample(10)[0])
    with pytest.raises(ValueError, match="pseudo_labels"):
        TabularGAN(epochs=1, pseudo_labels="m2", device="cpu").fit(X, y)
