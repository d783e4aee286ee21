"""AugmentedClassifier: leak-free ratio choice, filtering, sklearn integration."""
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from synthaug import AugmentedClassifier, TabularVAE


class RecordingAugmenter(BaseEstimator):
    """Copies training rows (jittered) and records which row ids it was fitted on.

    Column 0 of X is a row id; ``log`` is shared by every clone on purpose.
    """

    log: list = []

    def __init__(self, noise=0.01, flip_labels=False):
        self.noise = noise
        self.flip_labels = flip_labels

    def fit(self, X, y):
        RecordingAugmenter.log.append(set(np.asarray(X)[:, 0].astype(int)))
        self.X_, self.y_ = np.asarray(X, float), np.asarray(y)
        self.classes_ = np.unique(self.y_)
        return self

    def sample(self, n_samples=None, y=None, *, random_state=None):
        rng = np.random.default_rng(0)
        X_out, y_out = [], []
        for label, count in y.items():
            pool = self.X_[self.y_ == label]
            rows = pool[rng.integers(0, len(pool), count)]
            X_out.append(rows + rng.normal(0, self.noise, rows.shape))
            wrong = self.classes_[(np.searchsorted(self.classes_, label) + 1) % len(self.classes_)]
            y_out.append(np.full(count, wrong if self.flip_labels else label))
        return np.concatenate(X_out), np.concatenate(y_out)


@pytest.fixture()
def data():
    rng = np.random.default_rng(0)
    n = 60
    y = np.repeat([0, 1, 2], n // 3)
    X = rng.normal(size=(n, 3)) + y[:, None] * 1.5
    X = np.column_stack([np.arange(n), X])  # row id first
    return X, y


def _clf():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))


def test_augmenter_never_sees_a_validation_fold(data):
    X, y = data
    RecordingAugmenter.log = []
    outer = StratifiedKFold(3, shuffle=True, random_state=0)
    res = cross_validate(
        # two repeats: the count below (the default repeats more on small data)
        AugmentedClassifier(_clf(), RecordingAugmenter(), ratio="auto", n_repeats=2,
                            random_state=0),
        X, y, cv=outer, return_indices=True,
    )
    # per outer fold: 3 folds x 2 repeats inner fits, plus a final one when a ratio > 0 won
    assert 18 <= len(RecordingAugmenter.log) <= 21
    for seen in RecordingAugmenter.log:
        owners = [i for i, tr in enumerate(res["indices"]["train"]) if seen <= set(tr)]
        assert owners, "an augmenter was fitted on rows outside every outer training fold"
        for i in owners:
            assert not seen & set(res["indices"]["test"][i])


def test_harmful_synthetic_rows_fall_back_to_no_augmentation(data):
    X, y = data
    clf = AugmentedClassifier(_clf(), RecordingAugmenter(flip_labels=True), random_state=0)
    clf.fit(X, y)
    assert clf.ratio_ == 0.0
    assert clf.augmenter_ is None and clf.n_synthetic_ == 0
    scores = dict(zip(clf.cv_results_["ratio"], clf.cv_results_["mean_score"]))
    assert scores[0.0] > scores[2.0]


def test_fixed_ratio_adds_rows_per_class(data):
    X, y = data
    clf = AugmentedClassifier(_clf(), RecordingAugmenter(), ratio=1.5).fit(X, y)
    assert clf.ratio_ == 1.5 and clf.n_synthetic_ == 90
    assert not hasattr(clf, "cv_results_")
    assert clf.predict(X).shape == (60,)
    assert clf.predict_proba(X).shape == (60, 3)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


def test_confidence_filter_keeps_only_confident_rows(data):
    X, y = data
    clf = AugmentedClassifier(
        _clf(), RecordingAugmenter(noise=3.0), ratio=1.0, confidence_threshold=0.9,
        overgenerate=4.0,
    ).fit(X, y)
    judge = _clf().fit(X, y)
    aug = clf.augmenter_
    assert clf.n_synthetic_ <= 60
    assert 0 < clf.filter_kept_fraction_ < 0.25  # at most 60 of 240 drawn
    X_syn, y_syn, _ = clf._synthesise(aug, X, y, 1.0)
    conf = judge.predict_proba(X_syn)[np.arange(len(y_syn)), y_syn]
    assert conf.min() >= 0.9


def test_candidates_always_include_zero(data):
    X, y = data
    clf = AugmentedClassifier(_clf(), RecordingAugmenter(), ratios=(1.0,), random_state=0)
    clf.fit(X, y)
    assert clf.cv_results_["ratio"] == [0.0, 1.0]


def test_works_with_tabular_vae_and_dataframes_in_grid_search():
    rng = np.random.default_rng(1)
    y = pd.Series(np.repeat(["a", "b"], 15), name="target")
    X = pd.DataFrame({"x": rng.normal(size=30) + (y == "b") * 2,
                      "c": rng.choice(["u", "v"], 30)})
    X_num = pd.get_dummies(X, dtype=float)
    vae = TabularVAE(epochs=5, hidden_dims=(8,), latent_dim=2, random_state=0, device="cpu")
    grid = GridSearchCV(
        AugmentedClassifier(LogisticRegression(), vae, ratios=(1.0,), cv=2, random_state=0),
        {"ratio": ["auto", 1.0]}, cv=2,
    ).fit(X_num, y)
    assert grid.best_estimator_.predict(X_num).shape == (30,)
    assert set(grid.best_estimator_.classes_) == {"a", "b"}


def test_too_small_classes_warn_and_skip_augmentation(data):
    X, y = data
    keep = np.r_[0:20, 20:40, 40:42]  # class 2 has two rows
    with pytest.warns(UserWarning, match="too few to validate"):
        clf = AugmentedClassifier(_clf(), RecordingAugmenter()).fit(X[keep], y[keep])
    assert clf.ratio_ == 0.0


@pytest.mark.parametrize("params, match", [
    ({"ratio": -1}, "ratio"), ({"ratio": "many"}, "ratio"), ({"cv": 1}, "cv"),
    ({"ratios": ()}, "ratios"), ({"confidence_threshold": 1.5}, "confidence_threshold"),
    ({"overgenerate": 0.5}, "overgenerate"),
])
def test_bad_params_name_the_argument(data, params, match):
    X, y = data
    with pytest.raises((ValueError, TypeError), match=match):
        AugmentedClassifier(_clf(), RecordingAugmenter(), **params).fit(X, y)


def test_inputs_are_not_modified(data):
    X, y = data
    X0, y0 = X.copy(), y.copy()
    AugmentedClassifier(_clf(), RecordingAugmenter(), random_state=0).fit(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


class _CountingClassifier(LogisticRegression):
    """A logistic regression that remembers how many rows it was fitted on."""

    def fit(self, X, y):
        self.n_fit_ = len(y)
        return super().fit(X, y)


@pytest.mark.parametrize("ratio2_scores, expected", [
    ([0.95, 0.60, 0.90], 0.0),  # higher mean (0.817 > 0.8) but within one SE: keep 0
    ([0.90, 0.88, 0.92], 2.0),  # beats ratio 0 in every fold: augment
])
def test_ratio_must_beat_no_augmentation_by_one_standard_error(data, ratio2_scores, expected):
    X, y = data
    calls = {}
    table = {0.0: [0.80, 0.80, 0.80], 2.0: ratio2_scores}

    def scoring(est, X_va, y_va):
        ratio = round(est.n_fit_ / 40 - 1, 6)  # 60 rows, 3 folds: 40 training rows
        k = calls.get(ratio, 0)
        calls[ratio] = k + 1
        return table[ratio][k]

    clf = AugmentedClassifier(_CountingClassifier(max_iter=500), RecordingAugmenter(),
                              ratios=(2.0,), scoring=scoring, n_repeats=1,
                              random_state=0).fit(X, y)
    assert clf.cv_results_["fold_scores"][1] == ratio2_scores
    assert clf.ratio_ == expected


def test_repeats_give_new_folds_and_more_paired_scores(data):
    X, y = data
    RecordingAugmenter.log = []
    # a score that favours synthetic rows keeps the augmenter in the race (see
    # test_search.py) for every repeat
    clf = AugmentedClassifier(_CountingClassifier(max_iter=500), RecordingAugmenter(),
                              ratios=(1.0,), cv=3, n_repeats=3,
                              scoring=lambda est, X_va, y_va: est.n_fit_, random_state=0).fit(X, y)
    assert all(len(f) == 9 for f in clf.cv_results_["fold_scores"])
    inner = RecordingAugmenter.log[:9]
    # every repeat's 3 training parts together cover each row twice, and
    # the repeats split the rows differently
    for r in range(3):
        counts = np.bincount(np.concatenate([sorted(s) for s in inner[3 * r:3 * r + 3]]),
                             minlength=len(y))
        assert (counts == 2).all()
    assert {frozenset(s) for s in inner[:3]} != {frozenset(s) for s in inner[3:6]}


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_n_repeats_is_refused(data, bad):
    X, y = data
    with pytest.raises(ValueError, match="n_repeats"):
        AugmentedClassifier(_clf(), RecordingAugmenter(), n_repeats=bad).fit(X, y)


def test_standard_error_is_corrected_for_overlapping_folds():
    from synthaug.search import _corrected_se

    diff = np.array([0.1, 0.0, 0.2, 0.1, 0.0, 0.2])
    naive = diff.std(ddof=1) / np.sqrt(6)
    # 3 folds x 2 repeats: test share 1/2 of the training share
    assert _corrected_se(diff, 3) == pytest.approx(diff.std(ddof=1) * np.sqrt(1 / 6 + 1 / 2))
    assert _corrected_se(diff, 3) == pytest.approx(2 * naive)  # twice the naive error
    assert _corrected_se(diff[:1], 3) == 0.0
