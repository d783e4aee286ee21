"""How the VAE and GAN engines condition their nets, per modality.

The engines are written once for every modality; what differs is what a
net is conditioned on and how training batches are drawn:

* :class:`TableConditioning`: a condition vector (label one-hot and one
  discrete column's category, :mod:`synthaug.nets.conditioning`), training
  batches by CTGAN's training-by-sampling, and ``sample(conditions=...)``;
* :class:`ImageConditioning`: the class index, shuffled epochs.

Both give the engines the same calls: ``fit`` on the training tensor,
``epoch`` / ``batch`` of training rows with their conditions,
``for_sampling`` and ``finish`` around a sampling call, and the number of
rows one sampling call should hold.
"""
from __future__ import annotations

import numpy as np
import torch

from ..nets.conditioning import ConditionVector, TrainingSampler


class TableConditioning:
    """Condition vectors for tables (see :mod:`synthaug.nets.conditioning`)."""

    def __init__(self, spans, n_classes: int):
        self.cv = ConditionVector(spans, n_classes)
        self.labels = None

    @property
    def dim(self) -> int:
        return self.cv.dim

    def fit(self, X: torch.Tensor, y_idx, labels) -> None:
        """Learn the category frequencies from ``X`` (encoded rows on the
        device) and the labelled rows; ``labels`` become the label part of
        each row's training condition (an index, -1, or probabilities)."""
        dev = X.device
        self.cv = self.cv.to(dev)
        self.cv.fit_counts(X, None if y_idx is None else torch.as_tensor(y_idx, device=dev))
        self.labels = None if labels is None else torch.as_tensor(labels, device=dev)
        self.sampler = TrainingSampler(self.cv, X)

    def _cond(self, rows, pos, device):
        return self.cv.vector(None if self.labels is None else self.labels[rows], pos,
                              len(rows), device)

    def epoch(self, batch_size: int, generator, device):
        """One epoch of ``(rows, condition, discrete positions)``: by
        training-by-sampling when there are discrete columns (so rare
        categories are learned), a plain permutation otherwise."""
        for rows, pos in self.sampler.epoch(batch_size, generator, device):
            yield rows, self._cond(rows, pos, device), pos

    def batch(self, batch_size: int, generator, device):
        """One training-by-sampling batch (drawn with replacement)."""
        rows, pos = self.sampler.batch(batch_size, generator)
        return rows, self._cond(rows, pos, device), pos

    def for_sampling(self, y, noise, position):
        """Conditions for a sampling call: the discrete position drawn from
        the training frequencies given the label, or fixed at ``position``."""
        if position is None:
            pos = self.cv.draw(y, noise)
        else:
            pos = torch.full((noise.n,), position, dtype=torch.long, device=noise.device)
        return self.cv.vector(y, pos, noise.n, noise.device)

    def finish(self, out: torch.Tensor, position) -> torch.Tensor:
        """Guarantee a requested category: the condition steered the rest of
        the row, and the column's one-hot block is then set to it (a
        deterministic overwrite of one block, never reject sampling)."""
        return out if position is None else self.cv.force(out, position)

    def class_counts_given(self, position) -> np.ndarray:
        """Training rows per class that have the category at ``position``."""
        return self.cv.class_counts_at(position).cpu().numpy()

    @staticmethod
    def rows_per_call(device: torch.device, layout, net) -> int:
        # On a CPU, 16,384 rows keep a 128-wide layer's activations (8 MB)
        # near the caches: both tabular models sampled fastest there
        # (65,536 was 1.2-1.6x slower); GPUs want larger calls.
        return 16384 if device.type == "cpu" else 65536

    def arrays(self) -> dict:
        return {"cond.counts": self.cv.counts.cpu().numpy()}

    def restore(self, arrays: dict, device) -> None:
        self.cv.counts.copy_(torch.from_numpy(np.asarray(arrays["cond.counts"])))
        self.cv = self.cv.to(device)

    def to(self, device) -> None:
        self.cv = self.cv.to(device)


class ImageConditioning:
    """The class index conditions the image nets; epochs are shuffled batches.

    ``drop_last`` drops an epoch's final short batch (a GAN's batch-norm
    statistics on a handful of images are noise) unless it is the only one.
    """

    def __init__(self, layout, n_classes: int, drop_last: bool = False):
        self.n_classes, self.drop_last = n_classes, drop_last
        self.labels = None

    @property
    def dim(self) -> int:
        return self.n_classes

    def fit(self, X: torch.Tensor, y_idx, labels) -> None:
        self.n = len(X)
        self.labels = None if labels is None else torch.as_tensor(labels, device=X.device)

    def epoch(self, batch_size: int, generator, device):
        bs = min(batch_size, self.n)
        perm = torch.randperm(self.n, generator=generator, device=device)
        stop = (self.n // bs) * bs if self.drop_last else self.n
        for s in range(0, stop, bs):
            rows = perm[s : s + bs]
            yield rows, None if self.labels is None else self.labels[rows], None

    def for_sampling(self, y, noise, position):
        return y

    def finish(self, out: torch.Tensor, position) -> torch.Tensor:
        return out

    @staticmethod
    def rows_per_call(device: torch.device, layout, net) -> int:
        # A conv decoder holds about `width` activations per output pixel;
        # keep one device call near 2**25 floats (~128 MB) whatever the size.
        c, h, w = layout
        return int(min(8192, max(64, 2**25 // (h * w * max(c, net.width) * 4))))

    def arrays(self) -> dict:
        return {}

    def restore(self, arrays: dict, device) -> None:
        pass

    def to(self, device) -> None:
        pass
