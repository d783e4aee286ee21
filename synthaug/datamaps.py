"""Curation of synthetic rows by the learning dynamics of a real-data classifier.

A small classifier is trained on the real rows' encoding (the codec's
float matrix, the space the generator samples in), and its weights are kept
at several checkpoints along training. A synthetic row is then judged by
how that classifier, over its checkpoints, treats the label the row was
generated for (data maps, Swayamdipta et al. 2020; CLLM's curation, Seedat
et al. 2024):

* **confidence**: the mean probability of the row's label over the
  checkpoints. Low: the real rows say the row belongs to another class.
* **aleatoric uncertainty**: the mean of ``p (1 - p)`` over the checkpoints.
  High: the classifier stays unsure of the row however long it trains, as
  for a row between classes or on the data's margins.

Rows with confidence below ``min_confidence`` are dropped; the others are
ranked by confidence minus aleatoric uncertainty ("easy to learn" first),
and each class keeps its best. The classifier is trained once per fit and
saved with the model, so curated sampling is as deterministic as sampling.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from .engines.training import seeded_init

HIDDEN = 64  # the classifier's hidden units: a small MLP, enough for curved classes
STEPS, CHECKPOINTS = 100, 10  # full-batch Adam steps; a checkpoint every 10 steps
LEARNING_RATE, WEIGHT_DECAY = 1e-2, 1e-4
MAX_ROWS = 20_000  # rows the classifier trains on (a random subset of larger tables)


class DataMapCurator:
    """The curator of the tabular models (see the module docstring and
    :mod:`synthaug.core.curation`): ``select`` keeps, per class, the
    candidate rows the real-data classifier learns confidently and
    consistently as their label."""

    shortfall_hint = ("raise overgenerate or lower min_confidence (the generator's rows "
                      "of that class rarely look like its real rows).")

    def __init__(self):
        self.weights_ = None  # per checkpoint k: w1 (K, h, d), b1 (K, h), w2 (K, C, h), b2 (K, C)

    def fit(self, data, codec, seed: int) -> None:
        """Train the checkpointed classifier on the labelled real rows."""
        self.weights_ = None
        if not data.n_classes:
            return  # no labels: nothing to judge rows by (select refuses)
        known = np.flatnonzero(np.asarray(data.y_idx) >= 0)
        if len(known) > MAX_ROWS:
            known = np.sort(np.random.default_rng(seed).choice(known, MAX_ROWS, replace=False))
        X = torch.as_tensor(np.asarray(data.M)[known], dtype=torch.float32)
        y = torch.as_tensor(np.asarray(data.y_idx)[known], dtype=torch.long)
        net = seeded_init(seed, lambda: torch.nn.Sequential(
            torch.nn.Linear(X.shape[1], HIDDEN), torch.nn.ReLU(),
            torch.nn.Linear(HIDDEN, data.n_classes)))
        opt = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
        kept = []
        for step in range(1, STEPS + 1):
            loss = F.cross_entropy(net(X), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step % (STEPS // CHECKPOINTS) == 0:
                kept.append([p.detach().clone() for p in net.parameters()])
        self.weights_ = [torch.stack(w) for w in zip(*kept)]
        if not all(torch.isfinite(w).all() for w in self.weights_):
            raise FloatingPointError("the curation classifier diverged on X; check X for "
                                     "extreme values.")

    @torch.inference_mode()
    def scores(self, encoded: torch.Tensor, labels) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the confidence in its label and its aleatoric uncertainty."""
        w1, b1, w2, b2 = (w.to(encoded.device) for w in self.weights_)
        h = torch.relu(torch.einsum("nd,kdh->knh", encoded.float(), w1.transpose(1, 2))
                       + b1[:, None])
        logits = torch.einsum("knh,kch->knc", h, w2) + b2[:, None]
        y = torch.as_tensor(np.asarray(labels), device=encoded.device)
        p = torch.softmax(logits, -1).gather(2, y[None, :, None].expand(len(w1), -1, 1))[..., 0]
        return p.mean(0).cpu().numpy(), (p * (1 - p)).mean(0).cpu().numpy()

    def select(self, encoded, labels, missing, state: dict, settings: dict):
        """At most ``missing[c]`` rows of each class ``c``, best first."""
        if self.weights_ is None:
            raise ValueError(
                "curate=True needs a model fitted with labels: curation keeps the synthetic "
                "rows that a classifier of the real rows assigns to their label."
            )
        labels = np.asarray(labels)
        confidence, uncertainty = self.scores(encoded, labels)
        floor = settings["min_confidence"]
        ok = confidence >= (0.0 if floor is None else floor)
        rank = confidence - uncertainty  # easy to learn: confident and consistent
        keep = []
        for c, quota in enumerate(np.asarray(missing).tolist()):
            rows = np.flatnonzero(ok & (labels == c))
            keep.append(rows[np.argsort(-rank[rows], kind="stable")][:max(quota, 0)])
        keep = np.concatenate(keep) if keep else np.zeros(0, np.int64)
        return keep, {"confidence": int((~ok).sum()), "surplus": int(ok.sum() - len(keep))}

    # --------------------------------------------------------------- state
    def state(self) -> tuple[dict, dict]:
        if self.weights_ is None:
            return {"fitted": False}, {}
        names = ("w1", "b1", "w2", "b2")
        return {"fitted": True}, {n: w.numpy() for n, w in zip(names, self.weights_)}

    def restore(self, config: dict, arrays: dict) -> None:
        self.weights_ = None
        if config["fitted"]:
            self.weights_ = [torch.as_tensor(np.asarray(arrays[n], dtype=np.float32))
                             for n in ("w1", "b1", "w2", "b2")]
