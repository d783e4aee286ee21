"""AugmentedClassifier's inner search: which candidate, at which ratio.

Every candidate and ratio is scored on the same repeated stratified inner
folds as no augmentation, so each is judged by its paired fold differences
from "none". A family of candidates (:mod:`synthaug.candidates`) is fitted
once per fold and every ratio of a variant is a per-class prefix of one
draw at the largest ratio. After the first repeat (the first two for a
single family), and after each later one, the rows (candidate and ratio)
whose mean score so far does not beat "none" leave the race: the repeats
that make the estimate less noisy are spent on the rows that could still be
chosen, and a family is fitted in a fold only while one of its rows races.

The choice rule is :func:`choose`; ``cv_results_`` is :meth:`InnerSearch.results`.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from scipy.stats import norm
from sklearn.base import clone
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from .core.containers import concat, take

#: Repeats every row gets before the race drops those that trail "none"
#: (then it drops them after every repeat): one family, several families.
RACE_REPEATS = (2, 1)
#: ``n_repeats="auto"``: repeat until about this many validation scores
#: (each repeat validates every labelled row once) ...
AUTO_VALIDATION_ROWS = 100
#: ... within these bounds (two repeats: the rule of the single-augmenter version).
AUTO_REPEATS = (2, 5)


def resolve_repeats(n_repeats, n_labelled: int) -> int:
    """``n_repeats`` as a number: "auto" repeats more on small data, where
    one split's validation folds hold a handful of rows."""
    if n_repeats != "auto":
        return int(n_repeats)
    low, high = AUTO_REPEATS
    return int(np.clip(np.ceil(AUTO_VALIDATION_ROWS / n_labelled), low, high))


@dataclass(frozen=True)
class Synthesis:
    """How synthetic rows are drawn for a fit: ``round(ratio * n_c)`` per class
    ``c``, optionally over-generated and filtered by the confidence of a copy
    of ``estimator`` trained on the real rows (see AugmentedClassifier)."""

    estimator: object
    confidence_threshold: float | None
    overgenerate: float

    def rows(self, draw, X_real, y_real, ratio: float):
        """``(X_syn, y_syn, kept)``: synthetic rows grouped by class (best first
        when filtering) and the share of drawn rows the filter kept (None
        without filter). ``draw(counts) -> (X_syn, y_syn)`` makes the rows."""
        labels, counts = np.unique(y_real, return_counts=True)
        wanted = np.round(ratio * counts).astype(int)
        if wanted.sum() == 0:
            return take(X_real, np.arange(0)), y_real[:0], None
        factor = 1.0 if self.confidence_threshold is None else self.overgenerate
        X_syn, y_syn = draw({c: int(np.ceil(w * factor))
                             for c, w in zip(labels.tolist(), wanted) if w > 0})
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
        conf = proba[np.arange(len(y_syn)), np.searchsorted(judge.classes_, y_syn)]
        keep = []
        for c, w in zip(labels.tolist(), wanted):
            rows = np.flatnonzero((y_syn == c) & (conf >= self.confidence_threshold))
            keep.append(rows[np.argsort(-conf[rows], kind="stable")][:w])
        keep = np.concatenate(keep)
        return take(X_syn, keep), y_syn[keep], len(keep) / len(y_syn)


@dataclass(frozen=True)
class Grid:
    """The rows of ``cv_results_``: row 0 is "none" (ratio 0); then, for
    each family, variant and ratio, one row. ``family`` and ``variant`` are
    -1 for "none"."""

    names: list
    ratios: list
    family: np.ndarray
    variant: np.ndarray

    @classmethod
    def of(cls, families, ratios) -> Grid:
        rows = [("none", 0.0, -1, -1)] + [
            (var.name, float(r), f, v)
            for f, fam in enumerate(families) for v, var in enumerate(fam.variants)
            for r in sorted(ratios) if r > 0
        ]
        names, ratios_, fam, var = zip(*rows)
        return cls(list(names), list(ratios_), np.array(fam), np.array(var))

    def by_family(self, rows) -> dict:
        """``rows`` grouped as ``{family: {variant: [row, ...]}}``, in grid order."""
        out: dict = {}
        for i in sorted(rows):
            out.setdefault(int(self.family[i]), {}).setdefault(int(self.variant[i]), []).append(i)
        return out


@dataclass(frozen=True)
class InnerSearch:
    """Scores every row of ``grid`` on the repeated inner folds of the
    labelled rows ``(X, y)`` (the unlabelled ``pool`` goes to every generator
    fit) and picks one (:meth:`run`)."""

    X: object
    y: np.ndarray
    pool: object
    families: list
    grid: Grid
    synthesis: Synthesis
    scorer: object
    n_splits: int
    n_repeats: int
    must_beat_none: bool  # False for a fixed ratio: the best candidate, no rule
    random_state: object = None
    n_jobs: int | None = None

    def run(self) -> tuple[int, dict]:
        """The chosen row of ``grid`` (0: no augmentation) and ``cv_results_``."""
        folds = list(RepeatedStratifiedKFold(
            n_splits=self.n_splits, n_repeats=self.n_repeats, random_state=self.random_state,
        ).split(np.zeros(len(self.y)), self.y))
        scores = np.full((len(self.grid.names), len(folds)), np.nan)
        racing, done = list(range(1, len(self.grid.names))), 0
        # the first repeats in one go, then one repeat at a time. Several
        # families are what makes the search costly, and their winner must
        # beat Sidak's larger margin, which a row trailing "none" after one
        # repeat rarely recovers; one family races after two, so that
        # n_repeats=2 stays the search of the single-augmenter version.
        first = RACE_REPEATS[len(self.families) > 1]
        for stop in range(min(first, self.n_repeats), self.n_repeats + 1):
            if not racing:
                break
            scores[:, done:stop * self.n_splits] = self._scores(
                folds[done:stop * self.n_splits], racing)
            done = stop * self.n_splits
            racing = self._racing(scores[:, :done], racing)
        chosen, gain, need = choose(scores, self.grid.family, self.n_splits, self.must_beat_none)
        return chosen, self.results(scores, gain, need)

    def _racing(self, scores: np.ndarray, rows: list) -> list[int]:
        """Those of ``rows`` still in the race: with the rule, the rows that
        beat "none" on average so far (one that trails it would need the
        later folds to overturn it by more than the rule's margin); all,
        without the rule."""
        if not self.must_beat_none:
            return rows
        gain = np.mean(scores - scores[0], axis=1)
        return [i for i in rows if gain[i] > 0]

    def _scores(self, folds: list, rows) -> np.ndarray:
        """Rows x folds: ``folds`` scored for "none" and ``rows`` of ``grid``
        (NaN for the others), in parallel over folds. Each fold is a pure
        function of its inputs, so the scores do not depend on ``n_jobs``."""
        columns = Parallel(n_jobs=self.n_jobs)(
            delayed(self.score_fold)(train, valid, list(rows)) for train, valid in folds
        )
        return np.column_stack(columns)

    def score_fold(self, train, valid, rows: list) -> np.ndarray:
        """One fold's score of "none" and of ``rows`` of ``grid`` (NaN for the
        others). A family is fitted, and a variant drawn, only for its rows
        in ``rows``."""
        with one_thread(), warnings.catch_warnings():
            # a curated draw may come back short (core/curation.py warns); the
            # fold scores what was kept, and the final fit still warns
            warnings.filterwarnings("ignore", message="curation kept", category=UserWarning)
            X_tr, y_tr = take(self.X, train), self.y[train]
            X_va, y_va = take(self.X, valid), self.y[valid]
            out = np.full(len(self.grid.names), np.nan)
            top = max(self.grid.ratios)
            out[0] = self._score(X_tr, y_tr, X_va, y_va)
            for f, variants in self.grid.by_family(rows).items():
                family = self.families[f]
                fitted = family.fit(X_tr, y_tr, self.pool)
                for v, its_rows in variants.items():
                    draw = partial(family.draw, fitted, family.variants[v], X_tr, y_tr)
                    # always at the grid's largest ratio, so that a row gets the
                    # same synthetic rows whichever other rows are still racing
                    X_syn, y_syn, _ = self.synthesis.rows(draw, X_tr, y_tr, top)
                    for i in its_rows:
                        # smaller ratios: per-class prefixes of the one draw
                        keep = per_class_prefix(y_syn, y_tr, self.grid.ratios[i])
                        X_fit = concat([X_tr, take(X_syn, keep)]) if keep.size else X_tr
                        out[i] = self._score(X_fit, np.concatenate([y_tr, y_syn[keep]]),
                                             X_va, y_va)
            return out

    def _score(self, X_fit, y_fit, X_va, y_va) -> float:
        return self.scorer(clone(self.synthesis.estimator).fit(X_fit, y_fit), X_va, y_va)

    def results(self, scores: np.ndarray, gain: np.ndarray, need: np.ndarray) -> dict:
        """``cv_results_``: one entry per row of ``grid`` in each list."""
        return {
            "candidate": list(self.grid.names), "ratio": list(self.grid.ratios),
            "mean_score": np.nanmean(scores, 1).tolist(),
            "std_score": np.nanstd(scores, 1).tolist(), "fold_scores": scores.tolist(),
            "mean_gain": gain.tolist(), "gain_needed": need.tolist(),
        }


def unsearched_results() -> dict:
    """``cv_results_`` when the classes are too small to search: "none" alone."""
    return {"candidate": ["none"], "ratio": [0.0], "mean_score": [np.nan],
            "std_score": [np.nan], "fold_scores": [[]], "mean_gain": [0.0],
            "gain_needed": [np.nan]}


def choose(scores: np.ndarray, family: np.ndarray, n_splits: int,
           must_beat_none: bool = True) -> tuple[int, np.ndarray, np.ndarray]:
    """The chosen row of ``scores`` (rows x folds, row 0 "none", NaN where a
    row was not scored), each row's mean paired gain over "none", and the
    gain the rule asks of it.

    The rule: each family's best row (highest mean score; ties to the
    earlier row: smaller ratio, uncurated) must beat "none" by
    ``z_m`` corrected standard errors of its paired fold differences, where
    ``m`` counts the families (:func:`se_multiplier`); of the families that
    pass, the one with the highest mean score wins; if none passes, no
    augmentation. Only rows scored on every fold can be chosen. Without the
    rule (a fixed ratio), the best complete row other than "none" wins.
    """
    diff = scores - scores[0]
    gain = np.nanmean(diff, 1)
    z = se_multiplier(len(np.unique(family[family >= 0])))
    need = np.array([z * _corrected_se(d[~np.isnan(d)], n_splits) for d in diff])
    need[0] = np.nan
    means = np.nanmean(scores, 1)
    complete = ~np.isnan(scores).any(1)
    best = {}
    for f in np.unique(family[family >= 0]):
        rows = np.flatnonzero((family == f) & complete)
        if rows.size:
            best[f] = rows[np.argmax(means[rows])]  # argmax: the first of ties
    if must_beat_none:
        best = {f: i for f, i in best.items() if gain[i] > need[i]}
    if not best:
        return 0, gain, need
    rows = np.array(sorted(best.values()))
    return int(rows[np.argmax(means[rows])]), gain, need


def se_multiplier(n_families: int) -> float:
    """How many corrected standard errors a family's best row must beat
    "none" by, when ``n_families`` families compete.

    One family: 1, the one-standard-error rule, whose chance of passing a
    useless candidate is ``1 - Phi(1)``, about 16% (normal approximation).
    Picking the best of ``m`` families raises the chance that some useless
    one passes to ``1 - Phi(1)^m`` (41% for m = 3); Sidak's multiplier
    ``Phi^-1(Phi(1)^(1/m))`` keeps it at 16% for independent families
    (1.39 for m = 2, 1.59 for 3, 1.83 for 5), and below for the
    positively correlated families of one data set. Ratios and curated
    variants of one family are not counted: they share its fitted model
    and draw, and the single-augmenter rule never counted ratios either.
    """
    if n_families <= 1:
        return 1.0
    return float(norm.ppf(norm.cdf(1.0) ** (1.0 / n_families)))


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


def per_class_prefix(y_syn: np.ndarray, y_real: np.ndarray, ratio: float) -> np.ndarray:
    """Indices of the first round(ratio * n_c) synthetic rows of each class c."""
    labels, counts = np.unique(y_real, return_counts=True)
    out = []
    for c, n_c in zip(labels.tolist(), counts):
        rows = np.flatnonzero(y_syn == c)
        out.append(rows[: int(round(ratio * n_c))])
    return np.concatenate(out) if out else np.arange(0)


@contextmanager
def one_thread():
    """One torch and one BLAS/OpenMP thread while an inner fold runs.

    Folds are parallelised by ``n_jobs`` instead: small networks gain
    nothing from more threads on a shared machine (BENCHMARK.md: 44 s with
    two, 8 s with one), and a fixed thread count keeps floating-point
    reductions, hence the scores, the same for every ``n_jobs``.
    """
    previous = torch.get_num_threads()
    with threadpool_limits(limits=1):
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(previous)
