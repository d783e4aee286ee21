"""``synthaug demo``: does augmentation help a small labelled subset?

Draws ``k`` labelled rows per class from a dataset that ships with
scikit-learn, fits the default augmenter on them only, and trains the same
downstream classifier with and without the synthetic rows on identical
splits. Everything not drawn is the test set, so no synthetic row is ever
built from a test row.
"""
from __future__ import annotations

import time

import numpy as np
from scipy import stats
from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .models import TabularVAE

DATASETS = {
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "iris": datasets.load_iris,
}


def draw_per_class(y: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of k rows per class (train) and of every other row (test)."""
    rng = np.random.default_rng(seed)
    train = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), size=k, replace=False) for c in np.unique(y)]
    )
    test = np.setdiff1d(np.arange(len(y)), train)
    return np.sort(train), test


def _downstream():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def run_demo(dataset="wine", k=10, seeds=5, synthetic_ratio=2.0, epochs=300, out=print):
    """Print accuracy without / with augmentation per seed and the mean gain."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset={dataset!r} is unknown; choose one of {sorted(DATASETS)}.")
    X, y = DATASETS[dataset](return_X_y=True)
    smallest = int(np.bincount(y).min())
    if not isinstance(k, int) or not 2 <= k < smallest:
        raise ValueError(f"k must be an int from 2 to {smallest - 1} for {dataset}; got {k!r}.")
    if not isinstance(seeds, int) or seeds < 2:
        raise ValueError(f"seeds must be an int >= 2 (for a confidence interval); got {seeds!r}.")
    out(f"synthaug demo: {dataset}, {k} labelled rows per class, TabularVAE "
        f"(epochs={epochs}) adding {synthetic_ratio:g}x synthetic rows per class,")
    out("downstream: standardised logistic regression; test = every row not drawn.\n")
    out(f"{'seed':>4}  {'without':>8}  {'with':>8}  {'gain':>7}  {'fit s':>6}")
    gains, base_accs, aug_accs = [], [], []
    for seed in range(seeds):
        tr, te = draw_per_class(y, k, seed)
        base = _downstream().fit(X[tr], y[tr]).score(X[te], y[te])
        t0 = time.perf_counter()
        vae = TabularVAE(epochs=epochs, synthetic_ratio=synthetic_ratio, random_state=seed)
        X_aug, y_aug = vae.fit_resample(X[tr], y[tr])
        fit_s = time.perf_counter() - t0
        aug = _downstream().fit(X_aug, y_aug).score(X[te], y[te])
        base_accs.append(base)
        aug_accs.append(aug)
        gains.append(aug - base)
        out(f"{seed:>4}  {base:>8.3f}  {aug:>8.3f}  {100 * (aug - base):>+6.1f}pt  {fit_s:>6.1f}")
    g = np.asarray(gains) * 100
    half = stats.t.ppf(0.975, len(g) - 1) * g.std(ddof=1) / np.sqrt(len(g)) if len(g) > 1 else float("nan")
    out(f"{'mean':>4}  {np.mean(base_accs):>8.3f}  {np.mean(aug_accs):>8.3f}  {g.mean():>+6.1f}pt")
    verdict = "helped" if g.mean() - half > 0 else "hurt" if g.mean() + half < 0 else "made no clear difference"
    out(f"\npaired gain {g.mean():+.1f} points, 95% CI [{g.mean() - half:+.1f}, {g.mean() + half:+.1f}]: "
        f"augmentation {verdict} here.")
    return {"gain_mean": float(g.mean()), "gain_ci_half": float(half),
            "accuracy_without": base_accs, "accuracy_with": aug_accs}
