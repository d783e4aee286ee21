"""The low-data draws: which labelled rows a cell trains on.

Every experiment draws its training rows here, so "k per class" means the
same thing in each of them: ``k`` rows of every class (capped to leave each
class one test row) or, for imbalanced data, a stratified fraction of the
same total. Everything not drawn is the test set, except the ceiling arm's
extra rows (:func:`draw_extra`).
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


#: Test rows every class must keep after the ceiling's extra draw: with fewer,
#: one row more or less moves a class's recall (and macro-F1) by 10+ points.
MIN_TEST_PER_CLASS = 10


def draw_extra(y: np.ndarray, train: np.ndarray, seed, min_test: int = MIN_TEST_PER_CLASS):
    """A second draw of the training rows' size per class, from the rows not drawn.

    The ceiling arm (``real-2x``) trains on ``train`` plus these rows, and
    every arm of the cell tests on what is left, so all arms keep one paired
    test set. The draw comes from its own random stream (a child of
    ``seed``'s), so ``train`` is the same as without it.

    Parameters
    ----------
    y : ndarray
        Labels of every row.
    train : ndarray of int
        The training rows (:func:`draw`).
    seed : int or sequence of int
        The seed that drew ``train``.
    min_test : int
        Test rows each class must keep.

    Returns
    -------
    extra, test : ndarray of int
        Sorted; ``train``, ``extra`` and ``test`` are disjoint and cover every row.

    Raises
    ------
    ValueError
        When a class cannot spare its extra rows and keep ``min_test`` test
        rows; the draw is never made smaller instead (k would then mean
        something else for this cell).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    rest = np.setdiff1d(np.arange(len(y)), train)
    picks = []
    for c in np.unique(y).tolist():  # plain values: the message names the class
        pool = rest[y[rest] == c]
        n = int(np.sum(y[train] == c))
        if len(pool) - n < min_test:
            raise ValueError(f"class {c!r} has {len(pool)} rows outside the training draw: "
                             f"{n} extra would leave {len(pool) - n} test rows (< {min_test})")
        picks.append(rng.choice(pool, size=n, replace=False))
    extra = np.sort(np.concatenate(picks))
    return extra, np.setdiff1d(rest, extra)
