"""The candidates of AugmentedClassifier's search: what ``augmenter`` names.

A candidate is a way to make synthetic rows from the training rows: a
synthaug generator (``fit(X, y)``, then ``sample(y={label: count})``) or an
imbalanced-learn-style sampler (``fit_resample(X, y)`` with a
``sampling_strategy`` dict of counts; the synthetic rows are those it
appends after the real ones).

Candidates that are the same generator but for its ``curate`` parameter form
one *family*: curation is a sampling option (``sample(..., curate=True)`` on
the same fitted model), so a family costs one fit per inner fold however
many of its variants are scored.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from .core.containers import concat, take
from .core.validation import UNLABELLED_DOC
from .models import TabularGAN, TabularVAE

#: The generators of ``augmenter="auto"``, each tried with and without
#: curation; called as ``make(curate=..., random_state=...)`` (the tests put
#: tiny models here).
AUTO_GENERATORS = (TabularVAE, TabularGAN)
#: SMOTE's own default number of neighbours, lowered for small classes.
SMOTE_NEIGHBOURS = 5


@dataclass(frozen=True)
class Variant:
    """One candidate: its name in ``cv_results_``, the object as given (cloned
    for the final fit) and the ``curate`` flag its draws pass to ``sample``
    (None: ``sample`` is called without it)."""

    name: str
    augmenter: object
    curate: bool | None


@dataclass(frozen=True)
class Family:
    """Candidates that share one fitted model per fold (see the module docstring)."""

    variants: tuple[Variant, ...]

    @property
    def sampler(self) -> bool:
        """Whether rows come from ``fit_resample`` rather than ``fit`` + ``sample``."""
        return not hasattr(self.variants[0].augmenter, "sample")

    def fit(self, X, y, pool, variant: Variant | None = None):
        """A fresh clone of ``variant`` (default: the first) fitted on the labelled
        rows ``(X, y)`` plus the unlabelled ``pool`` ``(X_pool, y_pool)``, if any.
        A sampler is only cloned here: it fits in :meth:`draw`, where it is told
        the counts."""
        aug = clone((variant or self.variants[0]).augmenter)
        if self.sampler:
            return aug
        if pool is None:
            return aug.fit(X, y)
        X_pool, y_pool = pool
        y, y_pool = np.asarray(y), np.asarray(y_pool)
        # strings with None markers only fit in an object array
        kind = object if object in (y.dtype, y_pool.dtype) else None
        y_all = np.concatenate([y.astype(kind or y.dtype), y_pool.astype(kind or y_pool.dtype)])
        return aug.fit(concat([X, X_pool]), y_all)

    def draw(self, fitted, variant: Variant, X_real, y_real, counts: dict):
        """``counts[c]`` synthetic rows of each class ``c``, as ``(X_syn, y_syn)``."""
        if not self.sampler:
            options = {} if variant.curate is None else {"curate": variant.curate}
            return fitted.sample(y=counts, **options)
        labels, n_real = np.unique(y_real, return_counts=True)
        # imbalanced-learn's dict: the number of rows of each class after resampling
        target = {c: int(n) + counts.get(c, 0) for c, n in zip(labels.tolist(), n_real)}
        X_res, y_res = fitted.set_params(sampling_strategy=target).fit_resample(X_real, y_real)
        new = np.arange(len(y_real), len(y_res))  # the real rows come first
        return take(X_res, new), np.asarray(y_res)[new]


def families(augmenter, X, *, unlabelled: int, k_neighbors: int, random_state) -> list[Family]:
    """The candidate families ``augmenter`` names, for the labelled rows ``X``.

    ``unlabelled``: how many unlabelled rows fit got (every candidate must
    take them; "auto" then leaves SMOTE out). ``k_neighbors``: the most
    neighbours every inner training part allows SMOTE ("auto" only).
    ``random_state``: the int seed (or None) of the "auto" candidates.
    """
    if isinstance(augmenter, str):  # "auto": the constraints allow no other string
        entries = auto_candidates(X, unlabelled=unlabelled, k_neighbors=k_neighbors,
                                  random_state=random_state)
    elif isinstance(augmenter, (list, tuple)):
        entries = _checked_list(augmenter)
    else:
        entries = [_checked(augmenter, "augmenter")]
    if unlabelled:
        _check_unlabelled(entries, unlabelled)
    names = _names(entries)
    out = []
    for group in _shared_fits(entries):
        flags = {i: _curate_flag(entries[i]) for i in group}
        if len(set(flags.values())) < len(flags):
            listed = ", ".join(names[i] for i in group)
            raise ValueError(
                f"augmenter lists the same candidate more than once ({listed}); list each "
                "generator once per curate setting."
            )
        out.append(Family(tuple(Variant(names[i], entries[i], flags[i]) for i in group)))
    return out


def _shared_fits(entries: list) -> list[list[int]]:
    """Positions of ``entries`` grouped by the fitted model they can share."""
    groups: list[list[int]] = []
    for i, aug in enumerate(entries):
        home = next((g for g in groups if _shares_fit(entries[g[0]], aug)), None)
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    return groups


def auto_candidates(X, *, unlabelled: int, k_neighbors: int, random_state) -> list:
    """What ``augmenter="auto"`` tries, cheapest first: SMOTE (see
    :func:`smote_for`; not with unlabelled rows, which it cannot use), then
    each of :data:`AUTO_GENERATORS` without and with curation."""
    smote = None if unlabelled else smote_for(X, k_neighbors, random_state)
    generators = [make(curate=curate, random_state=random_state)
                  for make in AUTO_GENERATORS for curate in (False, True)]
    return ([smote] if smote is not None else []) + generators


def smote_for(X, k_neighbors: int, random_state):
    """imbalanced-learn's SMOTE for ``X``, or None where it does not apply.

    All-numeric rows: ``SMOTE``. A DataFrame with numeric and other columns
    (categorical, string, boolean): ``SMOTENC`` on the other columns. None
    when imbalanced-learn is not installed (it is no dependency of synthaug),
    when ``X`` has missing values (SMOTE cannot interpolate them, and
    imputing would hand the estimator rows unlike the real ones) or no
    numeric column (SMOTENC needs one).
    """
    over_sampling = _imblearn_over_sampling()
    categorical = _categorical_columns(X)
    if over_sampling is None or categorical is None:
        return None
    k = int(max(1, min(SMOTE_NEIGHBOURS, k_neighbors)))
    if not categorical:
        return over_sampling.SMOTE(k_neighbors=k, random_state=random_state)
    return over_sampling.SMOTENC(categorical_features=categorical, k_neighbors=k,
                                 random_state=random_state)


def _imblearn_over_sampling():
    """imbalanced-learn's ``over_sampling`` module, or None when not importable."""
    try:
        from imblearn import over_sampling
    except ImportError:
        return None
    return over_sampling


def _categorical_columns(X) -> list | None:
    """Positions of the non-numeric columns of ``X`` ([] for numeric data), or
    None when SMOTE cannot take ``X`` (missing values, or no numeric column)."""
    if isinstance(X, pd.DataFrame):
        if X.isna().to_numpy().any():
            return None
        numeric = [pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
                   for t in X.dtypes]
        return [i for i, num in enumerate(numeric) if not num] if any(numeric) else None
    try:
        values = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return None  # strings in an array: no column types to tell SMOTENC
    return [] if np.isfinite(values).all() else None


def tag_sources(augmenter) -> list:
    """The objects whose input tags (NaN, strings) the candidates of
    ``augmenter`` share: every listed one, or the "auto" generators (SMOTE
    joins "auto" only on data it takes)."""
    if isinstance(augmenter, str):
        return [make() for make in AUTO_GENERATORS]
    return list(augmenter) if isinstance(augmenter, (list, tuple)) else [augmenter]


def _checked_list(augmenter) -> list:
    if not augmenter:
        raise ValueError(
            "augmenter is an empty list; list at least one generator or sampler, or use "
            'augmenter="auto" (no augmentation is always a candidate).'
        )
    return [_checked(aug, f"augmenter[{i}]") for i, aug in enumerate(augmenter)]


def _checked(aug, where: str):
    """``aug`` if it can be a candidate, else a TypeError naming ``where``."""
    if not (_has(aug, "fit", "sample") or _has(aug, "fit_resample")):
        raise TypeError(
            f"{where} is {type(aug).__name__}, which has neither fit and sample (a synthaug "
            "generator) nor fit_resample (an imbalanced-learn sampler); list only those "
            "(no augmentation is always a candidate)."
        )
    params = aug.get_params() if _has(aug, "get_params") else {}
    if not _has(aug, "sample") and "sampling_strategy" not in params:
        raise TypeError(
            f"{where} ({type(aug).__name__}) has fit_resample but no sampling_strategy "
            "parameter, through which AugmentedClassifier asks a sampler for a number of "
            "rows per class; use an imbalanced-learn sampler."
        )
    return aug


def _check_unlabelled(entries: list, n_unlabelled: int) -> None:
    for aug in entries:
        if not getattr(aug, "accepts_unlabelled", False):
            raise ValueError(
                f"y marks {n_unlabelled} row(s) unlabelled ({UNLABELLED_DOC}), but "
                f"{type(aug).__name__} cannot learn from unlabelled rows; drop them or use "
                "a tabular synthaug model (TabularVAE, TabularGAN)."
            )


def _has(obj, *methods) -> bool:
    return all(callable(getattr(obj, m, None)) for m in methods)


def _curate_flag(aug) -> bool | None:
    """A generator's ``curate`` parameter (passed to ``sample`` by the search),
    or None for one without it."""
    if not _has(aug, "sample", "get_params"):
        return None
    params = aug.get_params(deep=False)
    return bool(params["curate"]) if "curate" in params else None


def _shares_fit(a, b) -> bool:
    """Whether ``a`` and ``b`` are the same generator but for ``curate``."""
    if type(a) is not type(b) or _curate_flag(a) is None:
        return False
    pa, pb = a.get_params(deep=False), b.get_params(deep=False)
    pa.pop("curate"), pb.pop("curate")
    return pa.keys() == pb.keys() and all(_same(pa[k], pb[k]) for k in pa)


def _same(u, v) -> bool:
    if u is v:
        return True
    if hasattr(u, "get_params") and hasattr(v, "get_params"):
        return type(u) is type(v) and _same(u.get_params(deep=False), v.get_params(deep=False))
    if isinstance(u, dict) and isinstance(v, dict):
        return u.keys() == v.keys() and all(_same(u[k], v[k]) for k in u)
    try:
        return bool(np.array_equal(u, v)) if isinstance(u, np.ndarray) else bool(u == v)
    except (TypeError, ValueError):
        return False


def _names(entries: list) -> list[str]:
    """Each candidate's class name, "(curate=True)" for curating variants, and
    its position in the list where two would read the same."""
    base = [type(a).__name__ + ("(curate=True)" if _curate_flag(a) else "") for a in entries]
    return [f"{b}[{i}]" if base.count(b) > 1 else b for i, b in enumerate(base)]
