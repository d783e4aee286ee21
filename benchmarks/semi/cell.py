"""One (dataset, k, seed) cell of the unlabelled-data benchmark.

Draw k labelled rows per class (a stratified fraction for imbalanced data,
as the tabular benchmark does), then a pool of ``Config.unlabelled`` rows
from the remaining rows whose labels are hidden; every other row is the test
set, so no arm ever sees a test row. The arms are described in
:mod:`benchmarks.semi`.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import LabelEncoder

from ..common.draws import draw
from ..common.stats import add_gains
from ..tabular import datasets as dsets
from ..tabular.datasets import Dataset
from ..tabular.evaluate import MODELS, make_downstream, make_preprocessor, scores
from .config import GENERATORS, SHARED_GENERATOR, Config


def split(ds: Dataset, k: int, seed: int, n_pool: int):
    """Labelled, pool and test row indices (disjoint, covering every row)."""
    lab, rest = draw(ds.y, k, seed, ds.imbalanced)
    rng = np.random.default_rng([seed, 4])
    pool = np.sort(rng.choice(rest, size=min(n_pool, len(rest) // 2), replace=False))
    return lab, pool, np.setdiff1d(rest, pool)


def _marked(y_lab: np.ndarray, n_pool: int) -> np.ndarray:
    """Labels + the unlabelled marker: -1 for numbers, None for strings."""
    if y_lab.dtype.kind in "iu":
        return np.r_[y_lab, -np.ones(n_pool, dtype=y_lab.dtype)]
    return np.r_[y_lab.astype(object), np.full(n_pool, None, dtype=object)]


@dataclass
class Split:
    """One cell's rows: labelled, pool (labels hidden) and test."""

    ds: Dataset
    seed: int
    X_lab: pd.DataFrame
    y_lab: np.ndarray
    X_te: pd.DataFrame
    y_te: np.ndarray
    X_all: pd.DataFrame  # labelled rows, then the pool
    y_all: np.ndarray  # labels, then the unlabelled marker

    @classmethod
    def make(cls, ds: Dataset, k: int, seed: int, n_pool: int) -> "Split":
        lab, pool, te = split(ds, k, seed, n_pool)
        X_lab, y_lab = ds.X.iloc[lab].reset_index(drop=True), ds.y[lab]
        X_pool = ds.X.iloc[pool].reset_index(drop=True)
        return cls(ds, seed, X_lab, y_lab, ds.X.iloc[te].reset_index(drop=True), ds.y[te],
                   pd.concat([X_lab, X_pool], ignore_index=True), _marked(y_lab, len(pool)))

    @property
    def n_pool(self) -> int:
        return len(self.X_all) - len(self.X_lab)


def _vae(cfg: Config, pseudo_labels="soft", seed=0):
    from synthaug import TabularVAE

    return TabularVAE(epochs=cfg.epochs, pseudo_labels=pseudo_labels, device="cpu",
                      random_state=seed)


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _synthetic(gen, y_lab, factor: float):
    labels, counts = np.unique(y_lab, return_counts=True)
    want = {c: max(1, int(round(factor * n))) for c, n in zip(labels.tolist(), counts)}
    X_syn, y_syn = gen.sample(y=want)
    return X_syn, np.asarray(y_syn)


def _generator_rows(cfg: Config, arm: str, s: Split, gens: dict):
    """A TabularVAE arm: its generator is fitted once per cell (the "-x" arms
    share their 1:1 arm's) and sampled for each downstream model."""
    key = SHARED_GENERATOR.get(arm, arm)
    if key not in gens:
        mode = cfg.threshold if GENERATORS[key] == "threshold" else GENERATORS[key]
        Xf, yf = (s.X_lab, s.y_lab) if key == "vae-labelled" else (s.X_all, s.y_all)
        gens[key] = _timed(lambda: _vae(cfg, mode, s.seed).fit(Xf, yf))
    gen, fit_s = gens[key]
    factor = s.n_pool / len(s.X_lab) if arm.endswith("-x") else 1.0
    for model in cfg.models:
        X_syn, y_syn = _synthetic(gen, s.y_lab, factor)
        X_fit = pd.concat([s.X_lab, X_syn[list(s.X_lab.columns)]], ignore_index=True)
        est = make_downstream(model, s.ds).fit(X_fit, np.r_[s.y_lab, y_syn.astype(s.y_lab.dtype)])
        yield dict(arm=arm, model=model, fit_s=fit_s, n_synthetic=len(y_syn),
                   **scores(est, s.X_te, s.y_te))


class _Fixed:
    """Predictions made elsewhere, for :func:`scores`, which wants an estimator."""

    def __init__(self, pred):
        self.pred = pred

    def predict(self, X):
        return self.pred


def _semi_classifier(make, s: Split):
    """A scikit-learn semi-supervised classifier (``make()``) fitted on the
    labelled + pool rows (pool marked -1), its preprocessing fitted on the
    same rows, scored on the test rows."""
    enc = LabelEncoder().fit(s.y_lab)
    y_int = np.r_[enc.transform(s.y_lab), -np.ones(s.n_pool, int)]

    def fit():
        prep = make_preprocessor(s.ds).fit(s.X_all)
        return prep, make().fit(prep.transform(s.X_all), y_int)

    (prep, clf), fit_s = _timed(fit)
    pred = enc.inverse_transform(clf.predict(prep.transform(s.X_te)))
    return dict(fit_s=fit_s, n_synthetic=0, **scores(_Fixed(pred), s.X_te, s.y_te))


def _self_training(model: str, s: Split):
    """scikit-learn's SelfTrainingClassifier (defaults) around the downstream model."""
    from sklearn.semi_supervised import SelfTrainingClassifier

    return _semi_classifier(lambda: SelfTrainingClassifier(MODELS[model]()), s)


def _label_spreading(s: Split):
    """scikit-learn's LabelSpreading, its own classifier: a k-nearest-neighbour
    graph (the rbf kernel's default gamma=20 leaves most standardised rows
    unconnected on these tables), other settings at their defaults."""
    from sklearn.semi_supervised import LabelSpreading

    return _semi_classifier(lambda: LabelSpreading(kernel="knn"), s)


def _model_rows(cfg: Config, arm: str, s: Split):
    """``none``, ``self-training``, ``label-spreading`` and ``augclf-semi``: one
    fit per model."""
    from synthaug import AugmentedClassifier

    for model in cfg.models:
        if arm == "none":
            est, fit_s = _timed(lambda: make_downstream(model, s.ds).fit(s.X_lab, s.y_lab))
            yield dict(arm=arm, model=model, fit_s=fit_s, n_synthetic=0,
                       **scores(est, s.X_te, s.y_te))
        elif arm == "self-training":
            yield dict(arm=arm, model=model, **_self_training(model, s))
        elif arm == "label-spreading":  # one classifier, repeated beside each model's pair
            yield dict(arm=arm, model=model, **_label_spreading(s))
        elif arm == "augclf-semi":
            clf = AugmentedClassifier(make_downstream(model, s.ds), _vae(cfg, "soft", s.seed),
                                      ratio="auto", random_state=s.seed)
            _, fit_s = _timed(lambda: clf.fit(s.X_all, s.y_all))
            yield dict(arm=arm, model=model, fit_s=fit_s, n_synthetic=clf.n_synthetic_,
                       chosen_ratio=clf.ratio_, **scores(clf, s.X_te, s.y_te))
        else:
            raise ValueError(f"unknown arm {arm!r}")


def run_cell(cfg: Config, dataset: str, k: int, seed: int) -> list[dict]:
    """Every arm x model row of one (dataset, k, seed) split."""
    s = Split.make(dsets.load(dataset), k, seed, cfg.unlabelled)
    base = dict(dataset=dataset, k=k, seed=seed, n_labelled=len(s.X_lab), n_pool=s.n_pool,
                n_test=len(s.X_te))
    rows, gens = [], {}
    for arm in cfg.arms:
        try:
            arm_rows = (_generator_rows(cfg, arm, s, gens) if arm in GENERATORS
                        else _model_rows(cfg, arm, s))
            for row in arm_rows:  # rows of models that finished stay if a later one fails
                rows.append(row)
        except Exception as exc:  # one broken arm must not end the run
            msg = f"error: {type(exc).__name__}: {exc}".replace("\n", " ")[:300]
            print(f"  {dataset} k={k} seed={seed} {arm}: {msg}", file=sys.stderr)
            rows += [dict(arm=arm, model=m, status=msg) for m in cfg.models]
    for r in rows:
        r.update(base)
        r.setdefault("status", "ok")
    add_gains(rows)
    return rows
