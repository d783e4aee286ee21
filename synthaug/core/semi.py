"""Training labels for unlabelled rows (``-1`` / ``None`` in ``y``).

A model that ``accepts_unlabelled`` learns the data's distribution from
every row and the classes from the labelled ones; how an unlabelled row is
labelled for training follows its ``pseudo_labels`` parameter:

* ``"soft"``: class probabilities of a logistic regression fitted on the
  labelled rows' encoding (the label part of the row's condition);
* ``"spread"``: class probabilities from label spreading over a
  k-nearest-neighbour graph of all rows (Zhou et al. 2004);
* a float ``t``: the regression's class where its top probability is >= t
  (hard pseudo-labels), "label unknown" (-1) elsewhere;
* None: every unlabelled row is "label unknown";
* ``"m2"`` (TabularVAE): no label is fixed here; a classifier trained
  jointly with the VAE weighs every label (:mod:`synthaug.engines.vae_m2`).
"""
from __future__ import annotations

import numpy as np


def training_labels(M: np.ndarray, y_idx: np.ndarray, mode, n_classes: int):
    """The labels the training conditions use, and how many unlabelled rows
    got a class or probabilities.

    Returns ``(labels, n_pseudo_labelled)``: ``labels`` is ``y_idx`` itself
    (an index per row, -1 unknown) or, for "soft"/"spread", an
    ``(n, n_classes)`` float32 matrix of one-hot and probability rows.
    """
    if mode is None or not (y_idx < 0).any():
        return y_idx, 0
    if mode == "m2":  # labelled during training by the engine's joint classifier
        return y_idx, int((y_idx < 0).sum())
    known = y_idx >= 0
    proba, classes = _proba(np.asarray(M).reshape(len(M), -1), y_idx, spread=mode == "spread")
    if isinstance(mode, str):
        labels = np.zeros((len(M), n_classes), dtype=np.float32)
        labels[np.flatnonzero(known), y_idx[known]] = 1.0
        labels[np.ix_(np.flatnonzero(~known), classes)] = proba
        return labels, int((~known).sum())
    sure = proba.max(1) >= mode
    labels = y_idx.copy()
    labels[np.flatnonzero(~known)[sure]] = classes[proba.argmax(1)[sure]]
    return labels, int(sure.sum())


def _proba(M: np.ndarray, y_idx: np.ndarray, spread: bool):
    """Class probabilities of the unlabelled rows, and the class indices of
    their columns."""
    known = y_idx >= 0
    if spread:
        from sklearn.semi_supervised import LabelSpreading

        # alpha near 1 (Zhou et al.'s 0.99) lets labels travel far along the
        # graph; at scikit-learn's default 0.2 the iteration stops while rows a
        # few hops from every labelled row still hold no mass
        k = int(min(10, len(M) - 1))
        model = LabelSpreading(kernel="knn", n_neighbors=k, alpha=0.99, max_iter=1000)
        model.fit(M, y_idx)
        proba = model.label_distributions_[~known]
        # a row no labelled row reaches has all-zero mass: make it uniform
        proba = np.where(proba.sum(1, keepdims=True) > 0, proba, 1.0 / proba.shape[1])
        return proba / proba.sum(1, keepdims=True), model.classes_[model.classes_ >= 0]
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=1000).fit(M[known], y_idx[known])
    return clf.predict_proba(M[~known]), clf.classes_
