"""The low-data draws: which labelled rows a cell trains on.

Every experiment draws its training rows here, so "k per class" means the
same thing in each of them: ``k`` rows of every class (capped to leave each
class one test row) or, for imbalanced data, a stratified fraction of the
same total. Everything not drawn is the test set.
"""
from __future__ import annotations

import numpy as np


def train_counts(y: np.ndarray, k: int, imbalanced: bool) -> dict:
    """Labelled rows to draw per class.

    Balanced data: ``k`` per class, capped so that every class keeps at least
    one test row. Imbalanced data: a stratified fraction with the same total
    budget (``k * n_classes`` rows) split in the classes' proportions, at
    least 2 rows per class so that SMOTE has a neighbour.
    """
    classes, counts = np.unique(y, return_counts=True)
    if not imbalanced:
        return {c: int(min(k, n - 1)) for c, n in zip(classes, counts)}
    total = k * len(classes)
    share = counts / counts.sum() * total
    take = np.maximum(np.floor(share).astype(int), 2)
    # hand the rounding remainder to the classes with the largest fractions...
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    for i in range(max(total - take.sum(), 0)):
        take[order[i % len(take)]] += 1
    # ...or, when the floor of 2 overshot, take it back from the largest classes
    while take.sum() > total and take.max() > 2:
        take[np.argmax(take)] -= 1
    return {c: int(min(t, n - 1)) for c, t, n in zip(classes, take, counts)}


def draw(y: np.ndarray, k: int, seed, imbalanced: bool = False):
    """Indices of the labelled training rows and of the test rows.

    Everything not drawn is the test set, so the test set is as large as
    the data allows and no generator ever sees a test row.

    Parameters
    ----------
    y : ndarray
        Labels of every row.
    k : int
        Labelled rows per class (the budget of a stratified fraction when
        ``imbalanced``).
    seed : int or sequence of int
        Seeds ``numpy.random.default_rng``; the text experiment passes
        ``[seed, k]`` so that its splits for different k are independent.
    imbalanced : bool
        Draw a stratified fraction (:func:`train_counts`).

    Returns
    -------
    train, test : ndarray of int
        Sorted, disjoint, covering every row.
    """
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(y == c), size=n, replace=False)
        for c, n in train_counts(y, k, imbalanced).items()
    ]
    train = np.sort(np.concatenate(picks))
    return train, np.setdiff1d(np.arange(len(y)), train)
