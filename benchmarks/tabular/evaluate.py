"""Downstream models, their preprocessing, and the per-row metrics.

Every downstream model is a scikit-learn ``Pipeline`` that starts with the
same preprocessing (median imputation + standard scaling for numeric columns,
a "missing" category + one-hot for categorical ones). The pipeline is fitted
on whatever training set an arm hands it, so the preprocessing only ever sees
training rows (real, or real + synthetic), never a test row. The one
exception is the MLP of a synthaug generator arm (:func:`fit_downstream`),
which trains through ``synthaug.AugmentedDataset`` on fresh synthetic rows
each epoch, with the preprocessing fitted on the real rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from .datasets import Dataset
from .mlp import FeatureView, MLPClassifier

# Without synthaug.metrics: distances below this count as an exact copy of a
# training row (the encoding is standardised: far below any real difference).
COPY_TOL = 1e-6


def make_preprocessor(ds: Dataset) -> ColumnTransformer:
    """Imputation + scaling (numeric) and imputation + one-hot (categorical)."""
    parts = [
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ds.numeric)
    ]
    if ds.categorical:
        parts.append((
            "cat",
            make_pipeline(
                FunctionTransformer(_fill_categorical, feature_names_out="one-to-one"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            ),
            list(ds.categorical),
        ))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def _fill_categorical(X):
    # A "missing" category instead of SimpleImputer: synthetic rows (from
    # AugmentedClassifier, which bypasses `conform`) may mark a missing
    # category with None or pd.NA, which SimpleImputer(np.nan) would not see.
    X = pd.DataFrame(X).astype(object)
    return X.where(X.notna(), "missing")


def _logreg():
    return LogisticRegression(max_iter=2000)


def _forest():
    # fixed seed so that the arms differ only in their training data
    return RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)


def small_leaf(n_rows: int) -> int:
    """``min_samples_leaf`` of ``hgb-small`` for ``n_rows`` training rows.

    HistGradientBoostingClassifier's default of 20 was set for large data: on
    20-50 rows a tree can hardly split, so any extra rows, real or synthetic,
    "gain" 14-20 points. A tenth of the rows lets a tree have about ten leaves
    at any size (what the default allows at 200 rows); at least 2, so that a
    leaf never fits one row; at most the default, which is already small
    enough from 200 rows on. Scaled to the rows the model is fitted on
    (real + synthetic), so adding rows does not by itself allow finer leaves.
    """
    return int(min(20, max(2, n_rows // 10)))


class SmallDataHGB(ClassifierMixin, BaseEstimator):
    """HistGradientBoostingClassifier with ``min_samples_leaf`` =
    :func:`small_leaf` of the rows it is fitted on, its other settings at
    their defaults."""

    def fit(self, X, y):
        self.model_ = HistGradientBoostingClassifier(min_samples_leaf=small_leaf(len(X)))
        self.model_.fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


#: Downstream models by name: factories of unfitted classifiers. ``hgb`` is
#: at its defaults and reported apart from the others (see :func:`small_leaf`).
MODELS = {"logreg": _logreg, "rf": _forest, "hgb": HistGradientBoostingClassifier,
          "hgb-small": SmallDataHGB, "mlp": MLPClassifier}


def make_downstream(model: str, ds: Dataset) -> Pipeline:
    """Preprocessing + the named classifier, unfitted."""
    return Pipeline([("prep", make_preprocessor(ds)), ("clf", MODELS[model]())])


def fit_downstream(model: str, ds: Dataset, X: pd.DataFrame, y: np.ndarray, *,
                   X_syn=None, y_syn=None, generator=None, ratio: float = 1.0,
                   seed: int = 0) -> Pipeline:
    """The named downstream model fitted on real rows ``X, y`` plus an arm's
    synthetic rows.

    The MLP of an arm with a fitted synthaug ``generator`` trains through
    ``synthaug.AugmentedDataset(real, generator, ratio)`` and sees fresh
    synthetic rows each epoch (:func:`fit_augmented`); every other model
    trains on ``X`` + ``X_syn``, one fixed draw.
    """
    est = make_downstream(model, ds)
    if model == "mlp" and generator is not None:
        return fit_augmented(est, generator, X, y, ds, ratio, seed)
    if X_syn is not None and len(X_syn):
        X, y = pd.concat([X, X_syn], ignore_index=True), np.concatenate([y, y_syn])
    return est.fit(X, y)


def fit_augmented(pipeline: Pipeline, generator, X: pd.DataFrame, y: np.ndarray, ds: Dataset,
                  ratio: float, seed: int) -> Pipeline:
    """Fit ``pipeline`` (preprocessing + :class:`~.mlp.MLPClassifier`) on the
    real rows through ``synthaug.AugmentedDataset(real, generator, ratio)``.

    The preprocessing is fitted on the real rows (the synthetic ones are not
    known before training); each epoch's synthetic rows pass through it.
    """
    import torch
    from synthaug import AugmentedDataset
    from torch.utils.data import TensorDataset

    classes = np.asarray(generator.classes_)
    if not np.array_equal(classes, np.unique(y)):
        raise ValueError("the generator's classes are not the training rows' classes.")
    prep, clf = pipeline.named_steps["prep"], pipeline.named_steps["clf"]
    real = TensorDataset(torch.as_tensor(prep.fit_transform(X).astype(np.float32)),
                         torch.as_tensor(np.searchsorted(classes, y), dtype=torch.int64))
    view = FeatureView(generator, lambda rows: prep.transform(conform(rows, ds)))
    clf.fit_dataset(AugmentedDataset(real, view, ratio=ratio, seed=seed), classes)
    return pipeline


def conform(X: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """Give synthetic rows the real data's columns and dtypes.

    Generators may return ``None`` or ``pd.NA`` for a missing category and
    integer or nullable dtypes for numbers; the imputers only recognise
    ``NaN``, so everything is brought to float / object-with-NaN.
    """
    X = pd.DataFrame(X).reset_index(drop=True)[list(ds.X.columns)].copy()
    for c in ds.numeric:
        X[c] = pd.to_numeric(X[c], errors="coerce").astype(np.float64)
    for c in ds.categorical:
        col = X[c].astype(object)
        X[c] = col.where(col.notna(), np.nan)
    return X


def scores(estimator, X_test, y_test) -> dict:
    """Accuracy and macro-F1 of a fitted classifier on the test rows."""
    pred = estimator.predict(X_test)
    return {
        "accuracy": float(accuracy_score(y_test, pred)),
        "macro_f1": float(f1_score(y_test, pred, average="macro")),
    }


def tstr(model: str, ds: Dataset, X_syn, y_syn, X_test, y_test) -> dict:
    """Train on synthetic rows only, test on the real test rows.

    NaN when the synthetic rows cannot train a classifier (none, or a single
    class: a collapsed generator is reported, not hidden).
    """
    if len(y_syn) == 0 or len(np.unique(y_syn)) < 2:
        return {"tstr_accuracy": np.nan, "tstr_macro_f1": np.nan}
    est = make_downstream(model, ds).fit(X_syn, y_syn)
    s = scores(est, X_test, y_test)
    return {"tstr_accuracy": s["accuracy"], "tstr_macro_f1": s["macro_f1"]}


class Privacy:
    """Distance to the closest training record (DCR) and exact copies.

    Distances are measured on the downstream preprocessing fitted on the
    real training rows (median-imputed, standardised numeric columns; one-hot
    categories, unseen ones all-zero), so every arm of one split is measured
    in the same space, next to the same statistic for the held-out real rows:
    synthetic rows much closer to the training rows than fresh real rows are
    near-copies, not wins. (``synthaug.metrics.distance_to_closest_record``
    encodes with the tabular codec, which refuses held-out rows with a
    category or a missing value the few training rows never showed, so it
    cannot score every split here.) Exact copies come from
    ``synthaug.metrics.exact_copy_rate`` (value comparison) when available.
    """

    def __init__(self, ds: Dataset, X_train: pd.DataFrame, X_holdout: pd.DataFrame):
        try:
            from synthaug.metrics import exact_copy_rate
        except ImportError:
            exact_copy_rate = None
        self.X_train, self._copy_rate = X_train, exact_copy_rate
        self._prep = make_preprocessor(ds).fit(X_train)
        self._nn = NearestNeighbors(n_neighbors=1).fit(self._prep.transform(X_train))
        d = self.distances(X_holdout)
        self.holdout_median, self.holdout_p05 = float(np.median(d)), float(np.percentile(d, 5))

    def distances(self, X: pd.DataFrame) -> np.ndarray:
        """Distance of each row of ``X`` to its nearest training row."""
        return self._nn.kneighbors(self._prep.transform(X))[0][:, 0]

    def summary(self, X: pd.DataFrame) -> dict:
        """DCR columns of the CSV for synthetic rows ``X`` (NaN without rows)."""
        out = {"dcr_holdout": self.holdout_median}
        if len(X) == 0:
            return out
        d = self.distances(X)
        if self._copy_rate is not None:
            copies = self._copy_rate(self.X_train, X)
        else:
            copies = float(np.mean(d < COPY_TOL))
        return dict(out, dcr_median=float(np.median(d)), exact_copy_rate=copies,
                    dcr_below_holdout_p05=float(np.mean(d < self.holdout_p05)))
