"""AugmentedClassifier: augmentation inside ``fit``, validated without leaks.

Synthetic rows help only if they are built from the training data alone and
their amount is chosen on data they were not built from. This meta-estimator
does both: every generator it fits sees only the rows passed to ``fit`` (an
inner fold's training part while choosing the ratio), so it is safe inside
``cross_val_score``, ``Pipeline`` and ``GridSearchCV``.
"""
from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone,
)
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .classifier_input import (
    check_labels, check_X, check_y, integer_labels, label_values, tags_or_none,
)
from .core.containers import concat, take
from .core.params import Number
from .core.validation import UNLABELLED_DOC, check_positive, check_X_rows, unlabelled_mask


def _estimator_has(attr: str):
    """For ``available_if``: whether the (fitted, else unfitted) estimator has ``attr``."""

    def check(self):
        getattr(self.estimator_ if hasattr(self, "estimator_") else self.estimator, attr)
        return True

    return check


class AugmentedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on real rows plus synthetic rows from ``augmenter``.

    Parameters
    ----------
    estimator : scikit-learn classifier
        The downstream model (a Pipeline is fine): anything with ``fit`` and
        ``predict``. Cloned, never modified.
    augmenter : synthaug generator (e.g. ``TabularVAE()``)
        Anything with ``fit(X, y)`` and ``sample(y={label: count})``.
        Cloned and fitted on the training rows only.
    ratio : "auto" or float >= 0, default="auto"
        Synthetic rows per real row, per class. "auto" picks one of
        ``ratios`` by stratified inner cross-validation; 0 is always a
        candidate, and a ratio > 0 is chosen only when its mean inner-CV
        score beats ratio 0's by more than the standard error of their
        paired fold differences, corrected for the folds' overlap (Nadeau
        and Bengio 2003); otherwise: no augmentation.
    ratios : sequence of float >= 0, default=(0.0, 0.5, 1.0, 2.0)
        Candidates for ``ratio="auto"`` (0 is added if missing).
    cv : int >= 2, default=3
        Inner folds (fewer when the smallest class is too small).
    n_repeats : int >= 1, default=2
        Times the inner cross-validation is repeated with new folds. With a
        few rows per class one split's validation folds are tiny; repeating
        gives more paired differences, so the standard error that guards
        against a lucky ratio is better estimated (the benchmark's losing
        cells came from single unlucky splits). Each repeat fits ``cv``
        generators. The standard error is corrected for the overlap of
        the folds, so repeats sharpen it without making the rule laxer.
    confidence_threshold : float in [0, 1) or None, default=None
        When set, over-generate ``overgenerate`` times the wanted rows, score
        them with a copy of ``estimator`` trained on the real rows, and keep,
        per class, the rows it assigns to their intended label with the
        highest probability, dropping those below the threshold (the LAMBADA
        filter, Anaby-Tavor et al. 2020). Needs ``predict_proba``.
    overgenerate : float >= 1, default=3.0
    scoring : str, callable or None, default=None
        Inner-CV score; None uses the estimator's ``score`` (accuracy).
    random_state : int, RandomState or None, default=None
        Shuffles the inner folds.

    Attributes
    ----------
    ratio_ : float
        The ratio used for the final fit.
    cv_results_ : dict
        ``ratio``, ``mean_score``, ``std_score``, ``fold_scores`` (only
        when ``ratio="auto"``).
    augmenter_ : generator or None
        The generator fitted on all training rows (None if ``ratio_`` is 0).
    estimator_ : classifier
        The downstream model fitted on real + synthetic rows.
    n_synthetic_ : int
        Number of synthetic rows in the final fit.
    n_unlabelled_ : int
        Number of unlabelled rows passed to the augmenter.
    filter_kept_fraction_ : float or None
        Share of drawn rows the confidence filter kept in the final fit
        (None without filter or when ``ratio_`` is 0).
    classes_ : ndarray
        Class labels, those of ``estimator_``.
    n_features_in_ : int
        Forwarded from ``estimator_`` (absent when it has none).
    feature_names_in_ : ndarray of str
        Forwarded from ``estimator_``; present when it was fitted on a
        DataFrame with string column names.

    Notes
    -----
    Input: ``X`` is dense, a 2-d array-like or a DataFrame, passed on
    as it is (no conversion to float), so it may hold strings and missing
    values when both the estimator and the augmenter take them (the
    tabular synthaug models do; a Pipeline can encode them for the
    estimator). The ``allow_nan`` and ``string`` input tags are the
    logical and of the two components' tags, since both see ``X``; a
    Pipeline's tags do not report what its first step accepts, so they
    stay false for one, though ``fit`` takes such data. ``y`` holds one
    class label per row; a column vector is raveled with a
    ``DataConversionWarning``, as scikit-learn's classifiers do, and an
    object array of integers is read as integers.

    Unlabelled rows: ``fit(X, y)`` takes rows marked unlabelled in ``y``
    (-1 for numeric labels, scikit-learn's semi-supervised convention; None
    or NaN for string labels) when the augmenter can learn from them (the
    tabular models). They are passed to every augmenter fit only, inner
    folds included, so they shape the generated rows; the estimator, the
    inner validation rows and the confidence filter's judge see labelled
    rows alone, and an unlabelled row is never a validation row. As for
    ``SelfTrainingClassifier``, -1 is therefore never a class: recode
    labels such as {-1, 1} (e.g. to {0, 1}).

    A fit that raises, for any reason, leaves the estimator unfitted, even
    after an earlier successful fit.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "augmenter": [HasMethods(["fit", "sample"])],
        "ratio": [StrOptions({"auto"}), Number(Real, 0, None, closed="left")],
        "ratios": ["array-like"],  # entries are checked in _candidate_ratios
        "cv": [Number(Integral, 2, None, closed="left")],
        "n_repeats": [Number(Integral, 1, None, closed="left")],
        "confidence_threshold": [Number(Real, 0, 1, closed="left"), None],
        "overgenerate": [Number(Real, 1, None, closed="left")],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, augmenter, *, ratio="auto", ratios=(0.0, 0.5, 1.0, 2.0),
                 cv=3, n_repeats=2, confidence_threshold=None, overgenerate=3.0, scoring=None,
                 random_state=None):
        self.estimator = estimator
        self.augmenter = augmenter
        self.ratio = ratio
        self.ratios = ratios
        self.cv = cv
        self.n_repeats = n_repeats
        self.confidence_threshold = confidence_threshold
        self.overgenerate = overgenerate
        self.scoring = scoring
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Choose the ratio (if "auto"), then fit on real + synthetic rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Dense training rows (see Notes for what they may hold).
        y : array-like of shape (n_samples,)
            Class labels; -1 (numeric labels) or None/NaN (string labels)
            mark unlabelled rows, which only the augmenter sees.

        Returns
        -------
        self : AugmentedClassifier
            The fitted estimator. When ``fit`` raises, whatever the cause
            (a bad parameter, a diverging augmenter, a failing estimator),
            no fitted attribute remains, not even from an earlier fit.
        """
        # Forget first, so that a failed refit cannot leave the previous
        # fit's attributes looking like the result of this one.
        self._forget_fit()
        return self._fit(X, y)

    # meta-estimator: the estimator and augmenter are the user's objects, so
    # their own parameter validation must run too (prefer_skip... = False)
    @_fit_context(prefer_skip_nested_validation=False)
    def _fit(self, X, y):
        candidates = self._candidate_ratios()
        X = check_X(X)
        n = check_X_rows(X)
        X, y, pool = self._split_unlabelled(X, check_y(y, n))
        n_unlabelled = 0 if pool is None else len(pool[1])
        counts = check_labels(y, n_unlabelled)
        fitted = {"n_unlabelled_": n_unlabelled}  # the pool itself is not kept
        if self.ratio == "auto":
            ratio, fitted["cv_results_"] = self._choose_ratio(
                X, y, pool, candidates, counts.min()
            )
        else:
            ratio = float(self.ratio)
        augmenter, kept, X_fit, y_fit = None, None, X, y
        if ratio > 0:
            augmenter = self._fit_augmenter(X, y, pool)
            X_syn, y_syn, kept = self._synthesise(augmenter, X, y, ratio)
            X_fit, y_fit = concat([X, X_syn]), np.concatenate([y, y_syn])
        estimator = clone(self.estimator).fit(X_fit, y_fit)
        # all fitted attributes at once, now that nothing is left to fail
        vars(self).update(
            fitted, ratio_=ratio, augmenter_=augmenter, filter_kept_fraction_=kept,
            n_synthetic_=len(y_fit) - len(y), estimator_=estimator,
            classes_=estimator.classes_,
        )
        return self

    def _forget_fit(self) -> None:
        """Remove every fitted attribute (scikit-learn's: trailing underscore)."""
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, name)

    def __sklearn_is_fitted__(self) -> bool:
        return "estimator_" in vars(self)

    def _candidate_ratios(self) -> list[float]:
        """``ratios`` plus 0, sorted: the candidates of ``ratio="auto"``.

        The constraints say ``ratios`` is array-like; what they cannot say
        (one dimension, at least one entry, each a number >= 0) is checked
        here, whatever ``ratio`` is, since a bad grid is a mistake either way.
        """
        ratios = list(self.ratios) if np.ndim(self.ratios) == 1 else []
        if not ratios:
            raise ValueError(
                f"ratios must be a non-empty 1-d sequence of numbers >= 0 (synthetic "
                f"rows per real row), e.g. (0.5, 1.0, 2.0); got {self.ratios!r}."
            )
        for r in ratios:
            check_positive(r, "ratios entries", allow_zero=True)
        return sorted(set(float(r) for r in ratios) | {0.0})

    def _split_unlabelled(self, X, y):
        """Labelled rows, their labels (a 1-d array), and the unlabelled pool (or None).

        Rows marked unlabelled (-1, or None/NaN for string labels) go to the
        augmenter only: the estimator, the inner validation folds and the
        confidence filter see labelled rows alone.
        """
        mask, y_arr = unlabelled_mask(y), label_values(y)
        if not mask.any():
            return X, integer_labels(y_arr), None
        if not getattr(self.augmenter, "accepts_unlabelled", False):
            raise ValueError(
                f"y marks {int(mask.sum())} row(s) unlabelled ({UNLABELLED_DOC}), but "
                f"{type(self.augmenter).__name__} cannot learn from unlabelled rows; "
                "drop them or use a tabular synthaug model (TabularVAE, TabularGAN)."
            )
        if mask.all():
            raise ValueError(
                f"every row of y is marked unlabelled ({UNLABELLED_DOC}); a classifier "
                "needs labelled rows."
            )
        keep, pool = np.flatnonzero(~mask), np.flatnonzero(mask)
        return take(X, keep), integer_labels(y_arr[keep]), (take(X, pool), y_arr[pool])

    def _fit_augmenter(self, X, y, pool):
        """A fresh augmenter fitted on labelled rows ``(X, y)`` plus the
        unlabelled ``pool`` ``(X_pool, y_pool)``, if any (marked with the
        caller's own marker)."""
        aug = clone(self.augmenter)
        if pool is None:
            return aug.fit(X, y)
        X_pool, y_pool = pool
        y, y_pool = np.asarray(y), np.asarray(y_pool)
        # strings with None markers only fit in an object array
        kind = object if object in (y.dtype, y_pool.dtype) else None
        y_all = np.concatenate([y.astype(kind or y.dtype), y_pool.astype(kind or y_pool.dtype)])
        return aug.fit(concat([X, X_pool]), y_all)

    # ------------------------------------------------------- ratio search
    def _choose_ratio(self, X, y, pool, candidates, smallest: int) -> tuple[float, dict]:
        """The ratio chosen by repeated inner cross-validation, and ``cv_results_``."""
        n_splits = min(self.cv, smallest)
        # each inner training part must keep >= 2 rows per class for the generator
        if smallest - int(np.ceil(smallest / max(n_splits, 2))) < 2:
            warnings.warn(
                f"the smallest class has {smallest} rows, too few to validate a "
                "synthetic ratio by inner cross-validation; not augmenting (ratio_=0).",
                UserWarning, stacklevel=5,  # the caller of fit (fit, _fit_context, _fit)
            )
            return 0.0, {"ratio": [0.0], "mean_score": [np.nan],
                         "std_score": [np.nan], "fold_scores": [[]]}
        folds = RepeatedStratifiedKFold(
            n_splits=n_splits, n_repeats=self.n_repeats, random_state=self.random_state
        )
        scorer = check_scoring(self.estimator, scoring=self.scoring)
        scores = np.zeros((len(candidates), n_splits * self.n_repeats))
        for f, (tr, va) in enumerate(folds.split(np.zeros(len(y)), y)):
            X_tr, y_tr, X_va, y_va = take(X, tr), y[tr], take(X, va), y[va]
            aug = self._fit_augmenter(X_tr, y_tr, pool)
            # one draw at the largest ratio; smaller ratios take per-class prefixes
            X_syn, y_syn, _ = self._synthesise(aug, X_tr, y_tr, max(candidates))
            for i, r in enumerate(candidates):
                keep = _per_class_prefix(y_syn, y_tr, r)
                X_fit = concat([X_tr, take(X_syn, keep)]) if keep.size else X_tr
                est = clone(self.estimator).fit(X_fit, np.concatenate([y_tr, y_syn[keep]]))
                scores[i, f] = scorer(est, X_va, y_va)
        means = scores.mean(1)
        results = {
            "ratio": candidates, "mean_score": means.tolist(),
            "std_score": scores.std(1).tolist(), "fold_scores": scores.tolist(),
        }
        best = int(np.flatnonzero(means >= means.max() - 1e-12)[0])  # ties -> smaller
        # One-standard-error rule against no augmentation: a ratio > 0 must
        # beat ratio 0 by more than the standard error of their paired fold
        # differences, so noise in a few small folds does not buy synthetic rows.
        diff = scores[best] - scores[0]
        chosen = candidates[best] if diff.mean() > _corrected_se(diff, n_splits) else 0.0
        return chosen, results

    def _synthesise(self, aug, X_real, y_real, ratio: float):
        """Synthetic rows grouped by class (best first when filtering), and the
        share of drawn rows the confidence filter kept (None without filter)."""
        labels, counts = np.unique(y_real, return_counts=True)
        wanted = np.round(ratio * counts).astype(int)
        if wanted.sum() == 0:
            return take(X_real, np.arange(0)), y_real[:0], None
        factor = 1.0 if self.confidence_threshold is None else self.overgenerate
        draw = {c: int(np.ceil(w * factor)) for c, w in zip(labels.tolist(), wanted) if w > 0}
        X_syn, y_syn = aug.sample(y=draw)
        y_syn = np.asarray(y_syn)
        if self.confidence_threshold is None:
            return X_syn, y_syn, None
        judge = clone(self.estimator).fit(X_real, y_real)
        if not hasattr(judge, "predict_proba"):
            raise TypeError(
                "confidence_threshold needs an estimator with predict_proba; "
                "use a probabilistic classifier or confidence_threshold=None."
            )
        proba = judge.predict_proba(X_syn)
        col = np.searchsorted(judge.classes_, y_syn)
        conf = proba[np.arange(len(y_syn)), col]
        keep = []
        for c, w in zip(labels.tolist(), wanted):
            rows = np.flatnonzero((y_syn == c) & (conf >= self.confidence_threshold))
            keep.append(rows[np.argsort(-conf[rows], kind="stable")][:w])
        keep = np.concatenate(keep)
        return take(X_syn, keep), y_syn[keep], len(keep) / len(y_syn)

    # ---------------------------------------------------------- delegation
    def predict(self, X):
        """Class labels for ``X`` (array-like or DataFrame), from ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities for ``X`` from ``estimator_``, columns in ``classes_``
        order; present only when the estimator has ``predict_proba``."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities for ``X`` from ``estimator_``; present only when
        the estimator has ``predict_log_proba``."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision scores for ``X`` from ``estimator_``; present only when the
        estimator has ``decision_function``."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    @property
    def n_features_in_(self) -> int:
        """Number of input features, forwarded from ``estimator_``."""
        check_is_fitted(self)  # NotFittedError is an AttributeError: hasattr is False
        return self.estimator_.n_features_in_

    @property
    def feature_names_in_(self) -> np.ndarray:
        """Input column names, forwarded from ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.feature_names_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est, aug = tags_or_none(self.estimator), tags_or_none(self.augmenter)
        # X reaches the estimator, and the augmenter too whenever a ratio > 0
        # is tried, so it may hold NaN or strings only when both take them;
        # an object without tags is assumed to take neither.
        for tag in ("allow_nan", "string"):
            setattr(tags.input_tags, tag, all(
                t is not None and getattr(t.input_tags, tag) for t in (est, aug)
            ))
        # refused in fit: synthetic rows are dense and are stacked under the real ones
        tags.input_tags.sparse = False
        if est is not None and est.classifier_tags is not None:
            tags.classifier_tags.multi_class = est.classifier_tags.multi_class
            tags.classifier_tags.poor_score = est.classifier_tags.poor_score
        return tags


def _corrected_se(diff: np.ndarray, n_splits: int) -> float:
    """Standard error of the mean of cross-validated paired differences.

    Folds share training rows, so their differences are correlated and the
    naive ``std / sqrt(J)`` is too small, the more so the more repeats
    (the benchmark saw twice as many lucky ratios chosen with 2 repeats).
    Nadeau and Bengio (2003)'s correction for J resampled splits with test
    share n_te / n_tr: ``std * sqrt(1 / J + n_te / n_tr)``; for k folds
    n_te / n_tr = 1 / (k - 1).
    """
    if len(diff) < 2:
        return 0.0
    return float(diff.std(ddof=1) * np.sqrt(1.0 / len(diff) + 1.0 / (n_splits - 1)))


def _per_class_prefix(y_syn: np.ndarray, y_real: np.ndarray, ratio: float) -> np.ndarray:
    """Indices of the first round(ratio * n_c) synthetic rows of each class c."""
    labels, counts = np.unique(y_real, return_counts=True)
    out = []
    for c, n_c in zip(labels.tolist(), counts):
        rows = np.flatnonzero(y_syn == c)
        out.append(rows[: int(round(ratio * n_c))])
    return np.concatenate(out) if out else np.arange(0)
