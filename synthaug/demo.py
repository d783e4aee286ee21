"""``synthaug demo``: what does augmentation buy on a small labelled subset,
next to what more real data would have bought?

Draws ``k`` labelled rows per class from a dataset that ships with
scikit-learn, plus ``k`` more per class that only the ceiling arm sees, and
trains the same downstream classifier three ways on identical splits:

* **without**: the ``k`` rows per class alone;
* **synthaug**: the recommended path, :class:`~synthaug.AugmentedClassifier`
  around TabularVAE (its cheapest validated setting: the "auto" default
  tries six candidates and takes about three times as long), which fits the
  generator on the ``k`` rows only and adds synthetic rows only where inner
  cross-validation says they help;
* **2x real**: the ``k`` rows plus the ``k`` more real rows (the ceiling).

Every row not drawn is the test set (the extra rows too are left out of it),
so no synthetic row is built from a test row and the three arms are scored
on the same rows.
"""
from __future__ import annotations

import contextlib
import time

import numpy as np
import torch
from scipy import stats
from sklearn import datasets
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .models import TabularVAE
from .selection import AugmentedClassifier

DATASETS = {
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "iris": datasets.load_iris,
}


def draw_per_class(y: np.ndarray, k: int, seed: int, extra: int = 0):
    """Indices of k rows per class (train), ``extra`` more per class, and of
    every other row (test)."""
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(y == c), size=k + extra, replace=False)
             for c in np.unique(y)]
    train = np.sort(np.concatenate([p[:k] for p in picks]))
    more = np.sort(np.concatenate([p[k:] for p in picks]))
    return train, more, np.setdiff1d(np.arange(len(y)), np.r_[train, more])


def _downstream():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def _interval(values) -> tuple[float, float]:
    """Mean and 95% t half-width of paired differences, in points."""
    v = np.asarray(values) * 100
    return float(v.mean()), float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))


@contextlib.contextmanager
def _one_torch_thread():
    """The demo's networks are tiny: one thread is fastest, and on a busy
    machine far faster; the caller's setting is restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_demo(dataset="wine", k=10, seeds=5, epochs=300, out=print):
    """Print accuracy without / with synthaug / with twice the real data per
    seed, and the paired gains with 95% intervals; return them."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset={dataset!r} is unknown; choose one of {sorted(DATASETS)}.")
    X, y = DATASETS[dataset](return_X_y=True)
    smallest = int(np.bincount(y).min())
    if not isinstance(k, int) or not 2 <= k <= (smallest - 1) // 2:
        raise ValueError(f"k must be an int from 2 to {(smallest - 1) // 2} for {dataset} "
                         f"(k rows per class, k more for the ceiling, the rest to test); "
                         f"got {k!r}.")
    if not isinstance(seeds, int) or seeds < 2:
        raise ValueError(f"seeds must be an int >= 2 (for a confidence interval); got {seeds!r}.")
    out(f"synthaug demo: {dataset}, {k} labelled rows per class; downstream: standardised "
        "logistic regression.")
    out(f"synthaug = AugmentedClassifier around TabularVAE (epochs={epochs}): synthetic rows "
        "only where inner validation shows a gain;")
    out(f"2x real = {k} more real rows per class (the ceiling); test = every other row.\n")
    out(f"{'seed':>4}  {'without':>8}  {'synthaug':>8}  {'2x real':>8}  {'gain':>7}  "
        f"{'ceiling':>7}  {'ratio':>5}  {'fit s':>6}")
    rows = []
    with _one_torch_thread():
        for seed in range(seeds):
            tr, more, te = draw_per_class(y, k, seed, extra=k)
            base = _downstream().fit(X[tr], y[tr]).score(X[te], y[te])
            full = np.r_[tr, more]
            ceiling = _downstream().fit(X[full], y[full]).score(X[te], y[te])
            t0 = time.perf_counter()
            clf = AugmentedClassifier(_downstream(), TabularVAE(epochs=epochs),
                                      random_state=seed).fit(X[tr], y[tr])
            fit_s = time.perf_counter() - t0
            aug = clf.score(X[te], y[te])
            rows.append((base, aug, ceiling))
            out(f"{seed:>4}  {base:>8.3f}  {aug:>8.3f}  {ceiling:>8.3f}  "
                f"{100 * (aug - base):>+6.1f}pt  {100 * (ceiling - base):>+6.1f}pt  "
                f"{clf.ratio_:>5.1f}  {fit_s:>6.1f}")
    base, aug, ceiling = (np.array(c) for c in zip(*rows))
    gain, gain_h = _interval(aug - base)
    ceil, ceil_h = _interval(ceiling - base)
    out(f"{'mean':>4}  {base.mean():>8.3f}  {aug.mean():>8.3f}  {ceiling.mean():>8.3f}  "
        f"{gain:>+6.1f}pt  {ceil:>+6.1f}pt")
    verdict = ("helped" if gain - gain_h > 0 else "hurt" if gain + gain_h < 0
               else "made no clear difference")
    out(f"\nsynthaug: paired gain {gain:+.1f} points, 95% CI [{gain - gain_h:+.1f}, "
        f"{gain + gain_h:+.1f}]: augmentation {verdict} here.")
    ceiling_line = f"2x real data: {ceil:+.1f} points [{ceil - ceil_h:+.1f}, {ceil + ceil_h:+.1f}]"
    if ceil - ceil_h > 0:
        out(f"{ceiling_line}; synthaug recovered {100 * gain / ceil:.0f}% of that.")
    else:
        out(f"{ceiling_line}: no clear gain from more real data either, so there was little "
            "for synthetic rows to recover.")
    return {"gain_mean": gain, "gain_ci_half": gain_h, "ceiling_mean": ceil,
            "ceiling_ci_half": ceil_h, "accuracy_without": base.tolist(),
            "accuracy_with": aug.tolist(), "accuracy_2x_real": ceiling.tolist()}
