"""The condition vector shared by the tabular generators.

A row's condition is ``[label one-hot | discrete block]``. The discrete
block spans every one-hot (softmax) span of the encoded row and has exactly
one active position: "column b takes category c". It is filled three ways:

* training, by *training-by-sampling* (Xu et al. 2019, CTGAN): pick a
  discrete span uniformly, pick one of its categories with probability
  proportional to the log of its frequency (so rare categories are seen far
  more often than in the data), then pick a real row that has that category;
  the row's label becomes the label part. The generator thus learns
  p(row | label, column b = c) for every category, rare ones included;
* sampling without a request: the discrete position is drawn from the
  training frequencies given the label, which restores the data's marginal;
* sampling with a request ``{column: value}``: the position is fixed.

Nothing here knows column names or types; the model maps a user's request
to a position (see ``synthaug.codecs.tabular_state``).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F


class ConditionVector(nn.Module):
    """Layout and training frequencies of the condition vector.

    Parameters
    ----------
    spans : sequence of (width, activation)
        The codec's output spans; every ``"softmax"`` span is a discrete block.
    n_classes : int
        Width of the label one-hot (0 for an unconditional model).
    """

    def __init__(self, spans: Sequence[tuple[int, str]], n_classes: int):
        super().__init__()
        rows, widths, pos = [], [], 0
        for width, activation in spans:
            if activation == "softmax":
                rows.append(pos)
                widths.append(width)
            pos += width
        self.n_classes = n_classes
        self.n_blocks = len(widths)
        self.width = sum(widths)  # discrete part
        self.dim = n_classes + self.width
        starts = [sum(widths[:b]) for b in range(len(widths))]
        self.blocks = list(zip(rows, starts, widths))  # (row start, cond start, width)
        pos_block = [b for b, w in enumerate(widths) for _ in range(w)]
        self.register_buffer("block_start", torch.tensor(starts, dtype=torch.long))
        self.register_buffer("block_width", torch.tensor(widths, dtype=torch.long))
        self.register_buffer("pos_block", torch.tensor(pos_block, dtype=torch.long))
        # rows of class k with category position p; learned by fit_counts, saved
        self.register_buffer("counts", torch.zeros((max(n_classes, 1), self.width), dtype=torch.long))

    # ----------------------------------------------------------- training
    def positions(self, M: torch.Tensor) -> torch.Tensor:
        """(n, n_blocks) condition position of each row's category per block."""
        cols = [M[:, r : r + w].argmax(1) + s for r, s, w in self.blocks]
        return torch.stack(cols, 1) if cols else M.new_zeros((len(M), 0), dtype=torch.long)

    def fit_counts(self, M: torch.Tensor, y_idx: torch.Tensor | None) -> None:
        """Store how many rows of each class have each category."""
        pos = self.positions(M)
        k = torch.zeros(len(M), dtype=torch.long, device=M.device) if y_idx is None else y_idx
        # unlabelled rows (class -1) count for no class: sampling is by class
        pos, k = pos[k >= 0], k[k >= 0]
        flat = (k[:, None] * self.width + pos).reshape(-1)
        counts = torch.bincount(flat, minlength=self.counts.numel())
        self.counts.copy_(counts.view_as(self.counts))

    # ------------------------------------------------------------ vectors
    def vector(self, y_idx: torch.Tensor | None, pos: torch.Tensor | None, n: int,
               device: torch.device) -> torch.Tensor:
        """The (n, dim) condition: label one-hot and one active discrete position.

        A row of class -1 (unlabelled) gets an all-zero label part: the
        "unknown label" condition, so the nets learn p(x) from such rows
        while labelled rows teach p(x | y). A 2-d float ``y_idx`` is used as
        the label part as it is (class probabilities: soft pseudo-labels)."""
        parts = []
        if self.n_classes and y_idx.dim() == 2:
            parts.append(y_idx.float())
        elif self.n_classes:
            known = (y_idx >= 0).unsqueeze(1)
            parts.append(F.one_hot(y_idx.clamp(min=0), self.n_classes).float() * known)
        if self.width:
            parts.append(F.one_hot(pos, self.width).float())
        if not parts:
            return torch.zeros((n, 0), device=device)
        return torch.cat(parts, 1)

    def draw(self, y_idx: torch.Tensor | None, noise) -> torch.Tensor | None:
        """Discrete positions for sampling, from the training frequencies given
        the label: a block uniformly, then a category by inverse CDF.

        One ``searchsorted`` for every row, with no per-block row selection
        (which would wait on the device once per block): each (class, block)
        CDF is shifted by ``block + class * n_blocks`` so that all of them
        form one sorted table, and a row's uniform draw shifted the same way
        counts the categories of its own block and class below it.
        """
        if not self.width:
            return None
        u = noise.uniform(2)
        block = (u[:, 0] * self.n_blocks).long().clamp_(max=self.n_blocks - 1)
        k = torch.zeros_like(block) if y_idx is None else y_idx
        start, width = self.block_start[block], self.block_width[block]
        query = u[:, 1].double() + block.double() + k.double() * self.n_blocks
        below = torch.searchsorted(self._cdf_table(), query) - (k * self.width + start)
        # below < 0 only when the draw is exactly 0 (ties with the previous
        # block's last CDF value): the block's first category, as intended
        return start + torch.minimum(below.clamp_(min=0), width - 1)

    def _cdf_table(self) -> torch.Tensor:
        """Flat, non-decreasing table of the shifted per-(class, block) CDFs."""
        counts = self.counts.double()
        cdf = torch.empty_like(counts)
        for _, s, w in self.blocks:  # tiny (classes x categories): no per-row work
            c = counts[:, s : s + w]
            cdf[:, s : s + w] = c.cumsum(1) / c.sum(1, keepdim=True).clamp_min(1)
        shift = self.pos_block.double()[None, :] + self.n_blocks * torch.arange(
            len(counts), device=counts.device, dtype=torch.float64
        )[:, None]
        return (cdf + shift).reshape(-1)

    def class_counts_at(self, pos: int) -> torch.Tensor:
        """Training rows per class that have the category at ``pos``."""
        return self.counts[:, pos]

    # ------------------------------------------------------ on net outputs
    def condition_loss(self, logits: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy between each row's conditioned block of the
        generator logits and the requested category (CTGAN's generator term)."""
        if not self.width:
            return logits.new_zeros(())
        logp = torch.cat(
            [F.log_softmax(logits[:, r : r + w], 1) for r, _, w in self.blocks], 1
        )
        return -logp.gather(1, pos[:, None]).mean()

    def force(self, out: torch.Tensor, pos: int) -> torch.Tensor:
        """Set the one-hot block of ``pos`` to that category in every row."""
        block = int(self.pos_block[pos])
        r, s, w = self.blocks[block]
        out[:, r : r + w] = 0.0
        out[:, r + pos - s] = 1.0
        return out


class TrainingSampler:
    """Training-by-sampling batches: real rows paired with their condition.

    Built once per fit from the encoded training matrix (on the device); all
    draws use the caller's generator.
    """

    def __init__(self, cv: ConditionVector, M: torch.Tensor):
        self.cv, self.n = cv, len(M)
        if not cv.width:
            return
        pos = cv.positions(M)  # (n, blocks)
        counts = torch.bincount(pos.reshape(-1), minlength=cv.width)
        # every row once per block, grouped by position: rows with category p
        # are rows_by_pos[offset[p] : offset[p] + counts[p]]
        order = torch.argsort(pos.T.reshape(-1), stable=True)
        self.rows_by_pos = order % self.n
        self.offset = counts.cumsum(0) - counts
        self.counts = counts
        # log-frequency, normalised within each block, padded to the widest
        logf = torch.log1p(counts.double())
        pick = torch.zeros((cv.n_blocks, int(cv.block_width.max())), dtype=torch.double,
                           device=M.device)
        for b, (_, s, w) in enumerate(cv.blocks):
            pick[b, :w] = logf[s : s + w] / logf[s : s + w].sum()
        self.pick = pick

    def batch(self, size: int, generator: torch.Generator):
        """``size`` row indices and their discrete positions (None without blocks)."""
        dev = self.pick.device if self.cv.width else generator.device
        if not self.cv.width:
            return torch.randint(0, self.n, (size,), generator=generator, device=dev), None
        block = torch.randint(0, self.cv.n_blocks, (size,), generator=generator, device=dev)
        cat = torch.multinomial(self.pick[block], 1, generator=generator).squeeze(1)
        pos = self.cv.block_start[block] + cat
        u = torch.rand(size, generator=generator, device=dev)
        k = (u * self.counts[pos]).long().clamp_(max=self.counts[pos] - 1)
        return self.rows_by_pos[self.offset[pos] + k], pos

    def epoch(self, size: int, generator: torch.Generator, device):
        """One epoch of ``ceil(n / size)`` batches. Without discrete blocks it is
        a plain permutation (each row once), the lowest-variance choice when
        there is nothing to rebalance."""
        if not self.cv.width:
            perm = torch.randperm(self.n, generator=generator, device=device)
            for start in range(0, self.n, size):
                yield perm[start : start + size], None
            return
        for _ in range(-(-self.n // size)):
            yield self.batch(size, generator)
