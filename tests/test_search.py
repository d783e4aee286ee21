"""AugmentedClassifier's choice among candidates (synthaug.search, synthaug.candidates).

Fakes make the choices deterministic and fast: ``Marked`` writes rows whose
first column says which candidate wrote them, and ``MarkerScore`` scores a
fit by the marks it was trained on, so each candidate's inner score is set
by the test. ``Oracle`` and ``LabelNoise`` are the realistic pair: rows
from the true class distributions against rows with wrong labels.
"""
from __future__ import annotations

import sys
from functools import partial

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from synthaug import AugmentedClassifier, TabularGAN, TabularVAE, candidates
from synthaug.search import choose, resolve_repeats, se_multiplier

TINY_VAE = partial(TabularVAE, epochs=3, hidden_dims=(8,), latent_dim=2, device="cpu")
TINY_GAN = partial(TabularGAN, epochs=3, hidden_dims=(8,), discriminator_dims=(8,),
                   latent_dim=2, device="cpu")
AUTO_NAMES = ["TabularVAE", "TabularVAE(curate=True)", "TabularGAN", "TabularGAN(curate=True)"]


@pytest.fixture
def tiny_auto(monkeypatch):
    """ "auto" with tiny generators: its list, not its models, is under test."""
    monkeypatch.setattr(candidates, "AUTO_GENERATORS", (TINY_VAE, TINY_GAN))


def _blobs(k=8, d=3, shift=1.5, seed=0, ids=True):
    """k rows per class of 3 Gaussian classes N(c * shift, I); column 0 is a
    row id (with ``ids``)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], k)
    X = rng.normal(size=(3 * k, d)) + y[:, None] * shift
    return (np.column_stack([np.arange(3 * k), X]) if ids else X), y


# ------------------------------------------------------------------ fakes
class Marked(BaseEstimator):
    """Copies of training rows whose column 0 is ``mark``; records the row ids of
    every fit, and the ``curate`` flags ``sample`` gets, per mark (a class-level
    log, shared by clones)."""

    fits: dict = {}
    draws: dict = {}

    def __init__(self, mark=-1.0, curate=False):
        self.mark = mark
        self.curate = curate

    def fit(self, X, y):
        Marked.fits.setdefault(self.mark, []).append(tuple(np.asarray(X)[:, 0].astype(int)))
        self.X_, self.y_ = np.asarray(X, float), np.asarray(y)
        return self

    def sample(self, n_samples=None, y=None, *, curate=None):
        Marked.draws.setdefault(self.mark, []).append(curate)
        rows = np.concatenate([np.flatnonzero(self.y_ == c)[np.arange(k) % (self.y_ == c).sum()]
                               for c, k in y.items()])
        X = self.X_[rows].copy()
        # a curated draw is marked one tenth higher
        X[:, 0] = self.mark + (0.1 if (self.curate if curate is None else curate) else 0.0)
        return X, self.y_[rows]


class MarkerScore:
    """Scores a fit by the marks of its synthetic rows: ``table[mark]``, or
    ``none`` for real rows alone (a fit's rows are read from RecordingLR)."""

    def __init__(self, table, none=0.5):
        self.table, self.none = table, none

    def __call__(self, est, X_va, y_va):
        marks = {round(m, 1) for m in est.X_fit_[:, 0] if m < 0}
        return self.none if not marks else self.table[max(marks)]


class RecordingLR(ClassifierMixin, BaseEstimator):
    """A logistic regression that keeps its training rows."""

    def fit(self, X, y):
        self.X_fit_ = np.asarray(X, float)
        self.clf_ = LogisticRegression().fit(X, y)
        self.classes_ = self.clf_.classes_
        return self

    def predict(self, X):
        return self.clf_.predict(X)


class Oracle(BaseEstimator):
    """Perfect rows: draws from the true class distributions of ``_blobs``
    (without ids); it reads no real row's values."""

    def __init__(self, shift=0.6, seed=0):
        self.shift = shift
        self.seed = seed

    def fit(self, X, y):
        self.d_ = np.asarray(X).shape[1]
        return self

    def sample(self, n_samples=None, y=None):
        rng = np.random.default_rng(self.seed)
        X = [rng.normal(size=(k, self.d_)) + c * self.shift for c, k in y.items()]
        return np.concatenate(X), np.concatenate([np.full(k, c) for c, k in y.items()])


class LabelNoise(Oracle):
    """The oracle's rows with uniformly random labels."""

    def sample(self, n_samples=None, y=None):
        X, y_syn = super().sample(y=y)
        return X, np.random.default_rng(self.seed + 1).permutation(y_syn)


# ------------------------------------------------------------ the choice
def test_a_candidate_that_helps_is_chosen_over_label_noise():
    """Perfect rows against label noise on a hard small problem (8 rows per
    class in 10 dimensions): the oracle passes the rule, noise does not."""
    X, y = _blobs(k=8, d=10, shift=0.6, ids=False)
    clf = AugmentedClassifier(LogisticRegression(C=10, max_iter=2000), [LabelNoise(), Oracle()],
                              random_state=0).fit(X, y)
    res = pd.DataFrame(clf.cv_results_).set_index(["candidate", "ratio"])
    assert clf.chosen_ == "Oracle" and clf.ratio_ == 2.0 and isinstance(clf.augmenter_, Oracle)
    assert res.mean_gain["Oracle", 2.0] > res.gain_needed["Oracle", 2.0] > 0.1
    assert (res.mean_gain["LabelNoise"] <= 0).all()  # so it left the race after 3 folds
    # two families: each must beat none by 1.39 corrected standard errors
    d = np.subtract(*np.array(res.fold_scores[[("Oracle", 2.0), ("none", 0.0)]].tolist()))
    se = d.std(ddof=1) * np.sqrt(1 / len(d) + 1 / 2)
    assert res.gain_needed["Oracle", 2.0] == pytest.approx(se_multiplier(2) * se)


@pytest.mark.parametrize("table, chosen", [
    ({-1.0: 0.6, -2.0: 0.4}, "Marked[0]"),  # -1 beats none in every fold
    ({-1.0: 0.4, -2.0: 0.7}, "Marked[1]"),
    ({-1.0: 0.5, -2.0: 0.5}, "none"),  # a tie with none is never chosen
    ({-1.0: 0.6, -2.0: 0.7}, "Marked[1]"),  # both pass: the higher mean wins
])
def test_the_choice_follows_the_inner_scores(table, chosen):
    X, y = _blobs()
    clf = AugmentedClassifier(RecordingLR(), [Marked(-1.0), Marked(-2.0)],
                              scoring=MarkerScore(table), random_state=0).fit(X, y)
    assert clf.chosen_ == chosen
    assert (clf.augmenter_ is None) == (chosen == "none")
    assert clf.cv_results_["candidate"] == ["none"] + ["Marked[0]"] * 3 + ["Marked[1]"] * 3


@pytest.mark.parametrize("n_augs, raced", [(6, 3), (1, 6)])
def test_equally_useless_candidates_choose_none(n_augs, raced):
    """Candidates that change nothing: every gain is 0, none wins, and the
    race scores none of them after the first repeat (after two for a single
    candidate, as the single-augmenter search did)."""
    X, y = _blobs(k=6)
    Marked.fits = {}
    augs = [Marked(-float(i)) for i in range(1, n_augs + 1)]
    table = {a.mark: 0.5 for a in augs}
    clf = AugmentedClassifier(RecordingLR(), augs if n_augs > 1 else augs[0],
                              scoring=MarkerScore(table), n_repeats=4, random_state=0).fit(X, y)
    assert clf.chosen_ == "none" and clf.ratio_ == 0.0 and clf.n_synthetic_ == 0
    folds = np.array(clf.cv_results_["fold_scores"])
    assert folds.shape == (1 + n_augs * 3, 12)
    assert np.isnan(folds[:, raced:]).all() and not np.isnan(folds[:, :raced]).any()
    assert all(len(fits) == raced for fits in Marked.fits.values())  # no refit after the race


def test_the_race_keeps_rows_ahead_of_none_and_drops_the_others():
    X, y = _blobs(k=6)
    table = {-1.0: 0.6, -2.0: 0.4}
    clf = AugmentedClassifier(RecordingLR(), [Marked(-1.0), Marked(-2.0)], n_repeats=4,
                              scoring=MarkerScore(table), random_state=0).fit(X, y)
    n = np.sum(~np.isnan(clf.cv_results_["fold_scores"]), axis=1)
    assert n.tolist() == [12] + [12] * 3 + [3] * 3


def test_the_rule_for_one_candidate_is_the_one_standard_error_rule():
    assert se_multiplier(1) == 1.0
    for m in (2, 3, 5, 10):  # Sidak: m independent families pass as rarely as one
        z = se_multiplier(m)
        assert norm.cdf(z) ** m == pytest.approx(norm.cdf(1.0))
        assert z > se_multiplier(m - 1)
    assert se_multiplier(3) == pytest.approx(1.589, abs=1e-3)


def test_best_of_many_useless_families_rarely_passes():
    """Paired differences of pure noise for m families (three correlated ratios
    each): picking the best and testing it at one standard error chooses some
    candidate far more often than one candidate alone would pass; Sidak's
    multiplier brings that back to about the single-candidate rate."""
    rng = np.random.default_rng(0)
    n_splits, n_folds, m, trials = 3, 9, 5, 2000
    family = np.r_[-1, np.repeat(np.arange(m), 3)]
    picked = {"sidak": 0, "one": 0, "single": 0}
    for _ in range(trials):
        base = rng.normal(size=(m, 1, n_folds))
        rows = base + 0.5 * rng.normal(size=(m, 3, n_folds))  # ratios share a draw
        scores = np.vstack([np.zeros(n_folds), rows.reshape(3 * m, n_folds)])
        picked["sidak"] += choose(scores, family, n_splits)[0] > 0
        picked["single"] += choose(scores[:4], family[:4], n_splits)[0] > 0
        gain = scores[1:].mean(1)
        best = 1 + np.argmax(gain)
        d = scores[best]
        se = d.std(ddof=1) * np.sqrt(1 / n_folds + 1 / (n_splits - 1))
        picked["one"] += gain[best - 1] > se
    rate = {k: v / trials for k, v in picked.items()}
    assert rate["one"] > 2 * rate["single"]
    assert rate["sidak"] <= 1.25 * rate["single"]


def test_rows_scored_on_fewer_folds_cannot_be_chosen():
    scores = np.array([[0.5] * 6, [0.9] * 3 + [np.nan] * 3, [0.6] * 6])
    chosen, gain, need = choose(scores, np.array([-1, 0, 0]), 3)
    assert chosen == 2 and gain[1] == pytest.approx(0.4) and np.isnan(need[0])


# ---------------------------------------------------------------- folds
def test_every_candidate_is_scored_on_the_same_folds():
    """Paired folds: each family is fitted on the same training parts, in the
    same order, as "none"'s estimator, and never on a validation row."""
    X, y = _blobs()
    Marked.fits = {}
    fits = []

    class Recording(RecordingLR):
        def fit(self, X, y):
            fits.append(tuple(np.asarray(X)[:, 0].astype(int)))
            return super().fit(X, y)

    table = {-1.0: 0.6, -2.0: 0.6}  # both stay in the race: all 9 folds
    AugmentedClassifier(Recording(), [Marked(-1.0), Marked(-2.0)], ratios=(1.0,),
                        scoring=MarkerScore(table), n_repeats=3, random_state=0).fit(X, y)
    none_fits = fits[:-1:3]  # per fold: none, then one fit per family; last: the final fit
    assert len(none_fits) == 9
    assert Marked.fits[-1.0][:9] == Marked.fits[-2.0][:9]
    assert [t for t in Marked.fits[-1.0][:9]] == none_fits
    assert len({frozenset(t) for t in none_fits}) == 9


def test_n_jobs_gives_the_same_choice_and_scores():
    X, y = _blobs(k=6, ids=False)
    augs = [Oracle(), TINY_VAE(random_state=0)]  # a torch model: its threads are fixed
    fitted = [AugmentedClassifier(LogisticRegression(), augs, n_repeats=2, n_jobs=n_jobs,
                                  random_state=0).fit(X, y) for n_jobs in (None, 2)]
    a, b = (f.cv_results_ for f in fitted)
    np.testing.assert_array_equal(np.array(a["fold_scores"]), np.array(b["fold_scores"]))
    assert a["candidate"] == b["candidate"] and fitted[0].chosen_ == fitted[1].chosen_
    np.testing.assert_array_equal(fitted[0].predict(X), fitted[1].predict(X))


def test_auto_repeats_more_on_small_data():
    assert [resolve_repeats("auto", n) for n in (15, 30, 40, 60, 500)] == [5, 4, 3, 2, 2]
    assert resolve_repeats(7, 15) == 7


# ------------------------------------------------------------ candidates
def test_curated_variants_share_one_fit_per_fold():
    X, y = _blobs()
    Marked.fits, Marked.draws = {}, {}
    table = {-1.0: 0.6, -0.9: 0.7}  # the curated draw wins
    clf = AugmentedClassifier(RecordingLR(), [Marked(-1.0), Marked(-1.0, curate=True)],
                              ratios=(1.0,), scoring=MarkerScore(table), n_repeats=2,
                              random_state=0).fit(X, y)
    assert len(Marked.fits[-1.0]) == 6 + 1  # one per fold, plus the final fit
    assert Marked.draws[-1.0] == [False, True] * 6 + [True]
    assert clf.cv_results_["candidate"] == ["none", "Marked", "Marked(curate=True)"]
    assert clf.chosen_ == "Marked(curate=True)" and clf.augmenter_.curate


def test_auto_curated_variants_cost_no_extra_fit(tiny_auto, monkeypatch):
    fits = []

    class CountingVAE(TabularVAE):
        def fit(self, X, y=None):
            fits.append(self.curate)
            return super().fit(X, y)

    monkeypatch.setattr(candidates, "AUTO_GENERATORS",
                        (partial(CountingVAE, epochs=2, hidden_dims=(8,), device="cpu"),))
    X, y = _blobs()
    clf = AugmentedClassifier(LogisticRegression(), n_repeats=2, random_state=0).fit(X, y)
    assert clf.cv_results_["candidate"][1::3] == ["SMOTE", "CountingVAE",
                                                  "CountingVAE(curate=True)"]
    assert len(fits) == 6 + (clf.chosen_.startswith("CountingVAE"))


def test_auto_candidates_with_and_without_imbalanced_learn(tiny_auto, monkeypatch):
    X, y = _blobs()
    names = [v.name for f in candidates.families("auto", X, unlabelled=0, k_neighbors=4,
                                                 random_state=0) for v in f.variants]
    assert names == ["SMOTE"] + AUTO_NAMES
    monkeypatch.setitem(sys.modules, "imblearn", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "imblearn.over_sampling", None)
    clf = AugmentedClassifier(LogisticRegression(), n_repeats=2, random_state=0).fit(X, y)
    assert clf.cv_results_["candidate"][1::3] == AUTO_NAMES


def test_auto_smote_follows_the_data(tiny_auto, mixed_df):
    def names(X, **kw):
        fams = candidates.families("auto", X, **{"unlabelled": 0, "k_neighbors": 9,
                                                 "random_state": 0, **kw})
        return [v.augmenter for f in fams for v in f.variants][0]

    X, _ = _blobs()
    smote = names(X)
    assert type(smote).__name__ == "SMOTE" and smote.k_neighbors == 5
    assert names(X, k_neighbors=2).k_neighbors == 2  # small classes: fewer neighbours
    complete = mixed_df[0].dropna()
    smotenc = names(complete)
    assert type(smotenc).__name__ == "SMOTENC"
    assert smotenc.categorical_features == [2, 3, 4]  # c, s and the boolean b
    for X_no in (mixed_df[0], complete[["c", "s"]]):  # missing values; no numeric column
        assert isinstance(names(X_no), TabularVAE)
    assert isinstance(names(X, unlabelled=10), TabularVAE)  # SMOTE cannot use them


def test_auto_on_a_mixed_table_with_small_classes(tiny_auto, mixed_df):
    X, y = mixed_df[0].dropna().reset_index(drop=True), mixed_df[1]
    y = y.iloc[:len(X)]
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    est = make_pipeline(make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["c", "s", "b"]), remainder="passthrough"),
        LogisticRegression())
    clf = AugmentedClassifier(est, ratio=1.0, n_repeats=2, random_state=0).fit(X, y)
    assert clf.cv_results_["candidate"][1] == "SMOTENC" and clf.chosen_ != "none"
    assert clf.ratio_ == 1.0 and clf.predict(X).shape == (len(X),)


def test_a_sampler_adds_the_rows_it_appends():
    from imblearn.over_sampling import SMOTE

    X, y = _blobs()
    smote = SMOTE(k_neighbors=3, random_state=0)
    clf = AugmentedClassifier(LogisticRegression(), smote, ratio=0.5).fit(X, y)
    assert clf.n_synthetic_ == 12 and clf.chosen_ == "SMOTE"
    assert clf.augmenter_ is not smote and smote.sampling_strategy == "auto"
    assert clf.augmenter_.sampling_strategy == {0: 12, 1: 12, 2: 12}
    searched = AugmentedClassifier(LogisticRegression(), [smote], n_repeats=2,
                                   random_state=0).fit(X, y)
    assert searched.cv_results_["candidate"] == ["none"] + ["SMOTE"] * 3


def test_a_fixed_ratio_with_several_candidates_picks_the_best_at_that_ratio():
    X, y = _blobs()
    table = {-1.0: 0.3, -2.0: 0.4}  # both lose to none; a fixed ratio augments anyway
    clf = AugmentedClassifier(RecordingLR(), [Marked(-1.0), Marked(-2.0)], ratio=2.0,
                              scoring=MarkerScore(table), n_repeats=3, random_state=0).fit(X, y)
    assert clf.chosen_ == "Marked[1]" and clf.ratio_ == 2.0 and clf.n_synthetic_ == 48
    assert clf.cv_results_["ratio"] == [0.0, 2.0, 2.0]
    assert not np.isnan(clf.cv_results_["fold_scores"]).any()  # no race without the rule


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize("augmenter, error, match", [
    ([], ValueError, "empty list"),
    ([Oracle(), LogisticRegression()], TypeError, r"augmenter\[1\] is LogisticRegression"),
    ([Marked(), Marked()], ValueError, "same candidate more than once"),
])
def test_bad_candidate_lists_name_the_entry(augmenter, error, match):
    with pytest.raises(error, match=match):
        AugmentedClassifier(LogisticRegression(), augmenter).fit(*_blobs())


def test_a_sampler_without_sampling_strategy_is_refused():
    class Resampler(BaseEstimator):
        def fit_resample(self, X, y):
            return X, y

    with pytest.raises(TypeError, match=r"augmenter \(Resampler\).*sampling_strategy"):
        AugmentedClassifier(LogisticRegression(), Resampler(), ratio=1.0).fit(*_blobs())


@pytest.mark.parametrize("params", [{"n_jobs": 0}, {"n_jobs": 1.5}, {"n_repeats": "many"},
                                    {"augmenter": "smote"}])
def test_bad_new_parameters_raise_invalid_parameter_error(params):
    with pytest.raises(InvalidParameterError, match=list(params)[0]):
        AugmentedClassifier(LogisticRegression(), **params).fit(*_blobs())


def test_unlabelled_rows_need_every_listed_candidate_to_take_them(tiny_auto):
    X, y = _blobs()
    y = np.where(np.arange(len(y)) % 4 == 0, -1, y)
    with pytest.raises(ValueError, match="Oracle cannot learn from unlabelled rows"):
        AugmentedClassifier(LogisticRegression(), [TINY_VAE(), Oracle()]).fit(X, y)
    clf = AugmentedClassifier(LogisticRegression(), n_repeats=2, random_state=0).fit(X, y)
    assert clf.cv_results_["candidate"][1::3] == AUTO_NAMES  # no SMOTE
    assert clf.n_unlabelled_ == 6


def test_tags_are_shared_by_every_candidate():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.utils import get_tags

    hgb = HistGradientBoostingClassifier()
    assert get_tags(AugmentedClassifier(hgb)).input_tags.allow_nan  # "auto": the generators
    assert get_tags(AugmentedClassifier(hgb, [TINY_VAE(), TINY_GAN()])).input_tags.allow_nan
    assert not get_tags(AugmentedClassifier(hgb, [TINY_VAE(), Oracle()])).input_tags.allow_nan
