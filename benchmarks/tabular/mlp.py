"""The small PyTorch MLP downstream model: a training loop over a DataLoader.

Two ways in, one loop (:func:`train`):

* :class:`MLPClassifier`, a scikit-learn classifier that trains on a
  ``TensorDataset`` of the rows it is given (real, or real + one fixed draw
  of synthetic rows), like every other downstream model;
* :func:`~.evaluate.fit_augmented`, for arms backed by a fitted synthaug generator:
  the real rows go into ``synthaug.AugmentedDataset`` with the generator, and
  ``set_epoch`` each epoch draws fresh synthetic rows: the path the library
  exists for. The other models (and the MLP of the other arms) see one
  fixed draw instead.

Every arm gets the same number of optimiser steps, so an arm with more rows
sees more distinct rows per step, not more steps.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch.utils.data import DataLoader, TensorDataset


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """Two hidden ReLU layers trained with Adam for a fixed number of steps.

    Parameters
    ----------
    hidden : tuple of int
        Widths of the hidden layers.
    steps : int
        Optimiser steps (mini-batches), whatever the number of rows.
    batch_size, lr, weight_decay : Adam's mini-batch size and settings.
    random_state : int
        Seeds the initial weights and the shuffling, without touching torch's
        global generator; fixed, so that the arms differ only in their data.
    """

    def __init__(self, hidden=(64, 64), steps=300, batch_size=32, lr=3e-3,
                 weight_decay=1e-4, random_state=0):
        self.hidden, self.steps, self.batch_size = hidden, steps, batch_size
        self.lr, self.weight_decay, self.random_state = lr, weight_decay, random_state

    def fit(self, X, y):
        """Train on the rows ``X`` (numeric features) and labels ``y``."""
        classes, codes = np.unique(np.asarray(y), return_inverse=True)
        data = TensorDataset(torch.as_tensor(np.asarray(X, dtype=np.float32)),
                             torch.as_tensor(codes, dtype=torch.int64))
        return self.fit_dataset(data, classes)

    def fit_dataset(self, dataset, classes):
        """Train on a Dataset of ``(features, class index)`` items.

        ``classes[i]`` is the label of class index ``i``. A dataset with
        ``set_epoch`` (``synthaug.AugmentedDataset``) is told each epoch.
        """
        self.classes_ = np.asarray(classes)
        n_features = dataset[0][0].shape[-1]
        self.net_ = train(_net(n_features, self.hidden, len(self.classes_), self.random_state),
                          dataset, steps=self.steps, batch_size=self.batch_size, lr=self.lr,
                          weight_decay=self.weight_decay, seed=self.random_state)
        return self

    @torch.inference_mode()
    def predict_proba(self, X):
        logits = self.net_(torch.as_tensor(np.asarray(X, dtype=np.float32)))
        return torch.softmax(logits, dim=1).numpy().astype(np.float64)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _net(n_features: int, hidden, n_classes: int, seed: int) -> torch.nn.Module:
    widths = [n_features, *hidden]
    with torch.random.fork_rng(devices=[]):  # seeded weights, global RNG untouched
        torch.manual_seed(seed)
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        return torch.nn.Sequential(*layers, torch.nn.Linear(widths[-1], n_classes))


def train(net: torch.nn.Module, dataset, *, steps: int, batch_size: int, lr: float,
          weight_decay: float, seed: int) -> torch.nn.Module:
    """Train ``net`` on a Dataset of ``(features, class index)`` items for
    ``steps`` mini-batches, epoch after epoch (calling ``set_epoch`` where
    the dataset has it); returns it in eval mode."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    net.train()
    step, epoch = 0, 0
    while step < steps:
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(net(xb.float()), yb.long())
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step == steps:
                break
        epoch += 1
    return net.eval()


class FeatureView:
    """A fitted synthaug generator seen in the MLP's feature space.

    ``AugmentedDataset`` turns a tabular model's samples into float tensors
    only when every column is numeric; mixed-type tables (penguins,
    credit_data, wa_churn) sample categories. This view passes each sampled
    chunk through ``encode`` (the downstream preprocessing fitted on the real
    rows) and names classes by index (what the real items carry); everything
    else (``device_``, ``class_counts_``, ...) is the generator's own.
    """

    def __init__(self, generator, encode: Callable[[pd.DataFrame], np.ndarray]):
        self.generator, self.encode = generator, encode
        self.classes_ = np.arange(len(generator.classes_))

    def __getattr__(self, name):
        # scikit-learn's fitted checks read __sklearn_*__ hooks; other dunders
        # (copy, pickle) must not reach the generator
        private = name.startswith("__") and not name.startswith("__sklearn")
        if private or name == "generator":
            raise AttributeError(name)
        return getattr(self.generator, name)

    def sample(self, n_samples=None, y=None, *, random_state=None):
        """The generator's rows for class indices ``y``, as feature rows."""
        labels = self.generator.classes_[np.asarray(y, dtype=int)]
        X, y_out = self.generator.sample(n_samples, y=labels, random_state=random_state)
        features = np.asarray(self.encode(X), dtype=np.float32)
        return features, np.searchsorted(self.generator.classes_, np.asarray(y_out))
