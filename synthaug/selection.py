"""AugmentedClassifier: augmentation inside ``fit``, validated without leaks.

Synthetic rows help only if they are built from the training data alone and
their amount is chosen on data they were not built from. This meta-estimator
does both: every generator it fits sees only the rows passed to ``fit`` (an
inner fold's training part while choosing the augmenter and the ratio), so
it is safe inside ``cross_val_score``, ``Pipeline`` and ``GridSearchCV``.
The candidates live in :mod:`synthaug.candidates`, the inner search and its
choice rule in :mod:`synthaug.search`.
"""
from __future__ import annotations

import math
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone,
)
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_random_state

from . import candidates, search
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
    """Fit ``estimator`` on real rows plus synthetic rows, choosing how they
    are made and how many by inner cross-validation, or not augmenting.

    Parameters
    ----------
    estimator : scikit-learn classifier
        The downstream model (a Pipeline is fine): anything with ``fit`` and
        ``predict``. Cloned, never modified.
    augmenter : "auto", a candidate, or a list of candidates, default="auto"
        How synthetic rows may be made. A candidate is a synthaug generator
        (anything with ``fit(X, y)`` and ``sample(y={label: count})``, e.g.
        ``TabularVAE()``) or an imbalanced-learn-style sampler (anything
        with ``fit_resample`` and a ``sampling_strategy`` parameter, e.g.
        ``SMOTE()``: it is asked for counts per class with a dict, and its
        synthetic rows are those it appends after the real ones). Each is
        cloned and fitted on training rows only. No augmentation is always
        a candidate. Generators in the list that differ only in ``curate``
        share one fit per fold (curation is a sampling option).

        "auto" tries, cheapest first: imbalanced-learn's SMOTE (only when
        imbalanced-learn, which synthaug does not require, is importable;
        SMOTENC on a DataFrame with numeric and categorical, string or
        boolean columns; left out when X has missing values or no numeric
        column, and when there are unlabelled rows, which SMOTE cannot use;
        at most 5 neighbours, fewer when an inner training part has fewer
        rows of a class), then :class:`~synthaug.TabularVAE` and
        :class:`~synthaug.TabularGAN` at their defaults (seeded from
        ``random_state``), each without and with ``curate=True``.
    ratio : "auto" or float >= 0, default="auto"
        Synthetic rows per real row, per class. "auto" picks a candidate and
        one of ``ratios`` by inner cross-validation (see Notes), or no
        augmentation. A number fixes the ratio: with one candidate it is
        used without validation; with several, the inner cross-validation
        picks the one with the best mean score at that ratio (no rule
        against no augmentation, which a fixed ratio rules out). Whenever
        the inner search runs, classes too small for inner folds give no
        augmentation, with a warning.
    ratios : sequence of float >= 0, default=(0.0, 0.5, 1.0, 2.0)
        Ratios tried by ``ratio="auto"`` (0 is no augmentation, always tried).
    cv : int >= 2, default=3
        Inner folds (fewer when the smallest class is too small).
    n_repeats : int >= 1 or "auto", default="auto"
        Times the inner cross-validation is repeated with new folds. With a
        few rows per class one split's validation folds are tiny; repeating
        averages out the luck of a split and of a generator's draw (the
        standard error is corrected for the folds' overlap, so repeats do
        not make the rule laxer). "auto": enough repeats for about 100
        validation scores, ``ceil(100 / n_labelled)``, between 2 and 5.
        Later repeats score only the candidates still in the race (see
        Notes). ``n_repeats=2`` reproduces the search of earlier
        versions for one candidate.
    confidence_threshold : float in [0, 1) or None, default=None
        When set, over-generate ``overgenerate`` times the wanted rows, score
        them with a copy of ``estimator`` trained on the real rows, and keep,
        per class, the rows it assigns to their intended label with the
        highest probability, dropping those below the threshold (the LAMBADA
        filter, Anaby-Tavor et al. 2020). Needs ``predict_proba``.
    overgenerate : float >= 1, default=3.0
    scoring : str, callable or None, default=None
        Inner-CV score; None uses the estimator's ``score`` (accuracy).
    n_jobs : int or None, default=None
        Inner folds scored in parallel (joblib; None means 1, -1 all cores).
        Each fold runs with one torch thread and one BLAS thread, whatever
        ``n_jobs`` is, so the scores and the choice do not depend on it.
    random_state : int, RandomState or None, default=None
        Shuffles the inner folds and seeds the "auto" candidates (a listed
        candidate keeps its own ``random_state``).

    Attributes
    ----------
    chosen_ : str
        The candidate of the final fit, as named in ``cv_results_``
        ("none" for no augmentation).
    ratio_ : float
        The ratio used for the final fit (0 for no augmentation).
    augmenter_ : generator, sampler or None
        The chosen candidate, fitted on all training rows (None if ``ratio_``
        is 0).
    cv_results_ : dict of lists, one entry per candidate and ratio
        Present when the inner cross-validation ran. ``candidate`` (name),
        ``ratio``, ``mean_score``, ``std_score``, ``fold_scores`` (NaN for
        folds a candidate was not scored on), ``mean_gain`` (mean paired
        difference from "none") and ``gain_needed`` (the mean gain the rule
        asks of it). The first entry is "none".
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
    The choice (``ratio="auto"``): every candidate and ratio is scored on
    the same repeated stratified inner folds as no augmentation, so each has
    paired fold differences from it. Candidates that share a fitted model
    form a family (one generator with and without curation; a sampler or
    other generator alone). Each family's best ratio and variant must beat
    no augmentation by ``z`` standard errors of its paired differences,
    corrected for the folds' overlap (Nadeau and Bengio 2003), where
    ``z = 1`` for one family (the one-standard-error rule) and Sidak's
    ``Phi^-1(Phi(1)^(1/m))`` for ``m`` families (1.39 for two, 1.59 for
    three), so that choosing the best of several does not make a useless
    candidate likelier to pass than one alone. Of the families that pass,
    the best mean score wins; if none passes: no augmentation. Ties go to
    the earlier entry (smaller ratio, uncurated, earlier candidate).

    Cost: a family is fitted once per fold and drawn once per variant at
    the largest ratio; smaller ratios are per-class prefixes of that draw.
    After the first repeat (the first two when there is one family, which
    keeps ``n_repeats=2`` the earlier search), and after each later one, an
    entry whose mean score does not beat no augmentation's so far leaves
    the race (it could hardly pass the rule): later repeats score, and fit
    families for, only the entries still racing, and stop when none is.

    Input: ``X`` is dense, a 2-d array-like or a DataFrame, passed on
    as it is (no conversion to float), so it may hold strings and missing
    values when both the estimator and the augmenter take them (the
    tabular synthaug models do; a Pipeline can encode them for the
    estimator). The ``allow_nan`` and ``string`` input tags are the
    logical and of the estimator's and every candidate's tags, since all
    see ``X``; a Pipeline's tags do not report what its first step
    accepts, so they stay false for one, though ``fit`` takes such data.
    ``y`` holds one class label per row; a column vector is raveled with a
    ``DataConversionWarning``, as scikit-learn's classifiers do, and an
    object array of integers is read as integers.

    Unlabelled rows: ``fit(X, y)`` takes rows marked unlabelled in ``y``
    (-1 for numeric labels, scikit-learn's semi-supervised convention; None
    or NaN for string labels) when every candidate can learn from them (the
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
        # list entries are checked in fit (synthaug.candidates)
        "augmenter": [StrOptions({"auto"}), HasMethods(["fit", "sample"]),
                      HasMethods(["fit_resample"]), list, tuple],
        "ratio": [StrOptions({"auto"}), Number(Real, 0, None, closed="left")],
        "ratios": ["array-like"],  # entries are checked in _candidate_ratios
        "cv": [Number(Integral, 2, None, closed="left")],
        "n_repeats": [Number(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "confidence_threshold": [Number(Real, 0, 1, closed="left"), None],
        "overgenerate": [Number(Real, 1, None, closed="left")],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        # joblib's: n >= 1 workers, or -1, -2, ... (all cores, all but one, ...)
        "n_jobs": [Number(Integral, 1, None, closed="left"),
                   Number(Integral, None, -1, closed="right"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, augmenter="auto", *, ratio="auto",
                 ratios=(0.0, 0.5, 1.0, 2.0), cv=3, n_repeats="auto", confidence_threshold=None,
                 overgenerate=3.0, scoring=None, n_jobs=None, random_state=None):
        self.estimator = estimator
        self.augmenter = augmenter
        self.ratio = ratio
        self.ratios = ratios
        self.cv = cv
        self.n_repeats = n_repeats
        self.confidence_threshold = confidence_threshold
        self.overgenerate = overgenerate
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Choose the augmentation (see Notes), then fit on real + synthetic rows.

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
        ratios = self._candidate_ratios()
        X = check_X(X)
        n = check_X_rows(X)
        X, y, pool = self._split_unlabelled(X, check_y(y, n))
        n_unlabelled = 0 if pool is None else len(pool[1])
        smallest = int(check_labels(y, n_unlabelled).min())
        families = candidates.families(
            self.augmenter, X, unlabelled=n_unlabelled,
            # SMOTE's neighbours must be found in every inner training part
            k_neighbors=self._inner_folds(smallest)[1] - 1,
            random_state=_seed(self.random_state) if isinstance(self.augmenter, str) else None,
        )
        fitted = {"n_unlabelled_": n_unlabelled}  # the pool itself is not kept
        family, variant, ratio = self._choose(X, y, pool, families, ratios, smallest, fitted)
        augmenter, kept, X_fit, y_fit = None, None, X, y
        if ratio > 0:
            augmenter = family.fit(X, y, pool, variant)
            X_syn, y_syn, kept = self._synthesise(
                augmenter, X, y, ratio, draw=partial(family.draw, augmenter, variant, X, y))
            X_fit, y_fit = concat([X, X_syn]), np.concatenate([y, y_syn])
        estimator = clone(self.estimator).fit(X_fit, y_fit)
        # all fitted attributes at once, now that nothing is left to fail
        vars(self).update(
            fitted, ratio_=ratio, augmenter_=augmenter, chosen_=variant.name if ratio else "none",
            filter_kept_fraction_=kept, n_synthetic_=len(y_fit) - len(y), estimator_=estimator,
            classes_=estimator.classes_,
        )
        return self

    def _choose(self, X, y, pool, families, ratios, smallest: int, fitted: dict):
        """``(family, variant, ratio)`` of the final fit (ratio 0: none), and
        ``cv_results_`` into ``fitted`` when the inner cross-validation runs."""
        first = families[0], families[0].variants[0]
        several = sum(len(f.variants) for f in families) > 1
        if self.ratio != "auto" and (self.ratio == 0 or not several):
            return (*first, float(self.ratio))  # nothing to choose
        n_splits, n_train = self._inner_folds(smallest)
        # each inner training part must keep >= 2 rows per class for the generator
        if n_train < 2:
            warnings.warn(
                f"the smallest class has {smallest} rows, too few to validate synthetic "
                "rows by inner cross-validation; not augmenting (ratio_=0).",
                UserWarning, stacklevel=5,  # the caller of fit (fit, _fit_context, _fit)
            )
            fitted["cv_results_"] = search.unsearched_results()
            return (*first, 0.0)
        auto = self.ratio == "auto"
        grid = search.Grid.of(families, ratios if auto else [float(self.ratio)])
        row, fitted["cv_results_"] = search.InnerSearch(
            X, y, pool, families, grid, self._synthesis(),
            check_scoring(self.estimator, scoring=self.scoring), n_splits,
            search.resolve_repeats(self.n_repeats, len(y)), must_beat_none=auto,
            random_state=self.random_state, n_jobs=self.n_jobs,
        ).run()
        if row == 0:
            return (*first, 0.0)
        family = families[grid.family[row]]
        return family, family.variants[grid.variant[row]], grid.ratios[row]

    def _inner_folds(self, smallest: int) -> tuple[int, int]:
        """The inner folds (fewer than ``cv`` for a class smaller than ``cv``),
        and the rows of the smallest class left in every inner training part."""
        n_splits = min(self.cv, smallest)
        # a stratified fold holds at most ceil(smallest / n_splits) of its rows
        return n_splits, smallest - math.ceil(smallest / max(n_splits, 2))

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
        if mask.all():
            raise ValueError(
                f"every row of y is marked unlabelled ({UNLABELLED_DOC}); a classifier "
                "needs labelled rows."
            )
        keep, pool = np.flatnonzero(~mask), np.flatnonzero(mask)
        return take(X, keep), integer_labels(y_arr[keep]), (take(X, pool), y_arr[pool])

    def _synthesis(self) -> search.Synthesis:
        return search.Synthesis(self.estimator, self.confidence_threshold, self.overgenerate)

    def _synthesise(self, aug, X_real, y_real, ratio: float, draw=None):
        """Synthetic rows of the fitted ``aug`` grouped by class (best first when
        filtering), and the share of drawn rows the confidence filter kept (None
        without filter). ``draw(counts)`` defaults to ``aug.sample(y=counts)``."""
        draw = draw or (lambda counts: aug.sample(y=counts))
        return self._synthesis().rows(draw, X_real, y_real, ratio)

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
        est = tags_or_none(self.estimator)
        augs = [tags_or_none(a) for a in candidates.tag_sources(self.augmenter)]
        # X reaches the estimator, and every candidate too whenever a ratio > 0
        # is tried, so it may hold NaN or strings only when all take them;
        # an object without tags is assumed to take neither.
        for tag in ("allow_nan", "string"):
            setattr(tags.input_tags, tag, all(
                t is not None and getattr(t.input_tags, tag) for t in (est, *augs)
            ))
        # refused in fit: synthetic rows are dense and are stacked under the real ones
        tags.input_tags.sparse = False
        if est is not None and est.classifier_tags is not None:
            tags.classifier_tags.multi_class = est.classifier_tags.multi_class
            tags.classifier_tags.poor_score = est.classifier_tags.poor_score
        return tags



def _seed(random_state) -> int | None:
    """An int seed for the "auto" candidates from ``random_state`` (None stays None)."""
    if random_state is None:
        return None
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
