"""Random numbers for generator networks, passed in rather than drawn globally.

Every net draws its noise through one of two objects with the same small
interface (``n``, ``device``, ``normal(width)``, ``uniform(width)``):

* :class:`StreamNoise` wraps one ``torch.Generator`` (training batches);
* :class:`RowNoise` gives rows ``[start, stop)`` of a sampling run whose
  random numbers are a pure function of ``(seed, row)``, as torchvision's
  ``FakeData`` makes item i a function of (seed, i). Rows are grouped in
  seed blocks of :data:`SEED_BLOCK`; each block has its own generator, so
  a run cut into chunks of any size draws exactly the same rows as the
  whole run at once, which is what lets ``sample_to_file`` stream to disk
  and still equal ``sample``.
"""
from __future__ import annotations

import numpy as np
import torch

# Rows per seed block. Large enough that drawing noise per block costs little
# next to the forward pass, small enough that a chunk boundary falling inside
# a block (drawn twice, sliced twice) wastes little.
SEED_BLOCK = 4096


class StreamNoise:
    """Noise for ``n`` rows from one generator (consumed in call order)."""

    def __init__(self, generator: torch.Generator, n: int, device: torch.device):
        self.generator, self.n, self.device = generator, n, device

    def normal(self, width: int) -> torch.Tensor:
        return torch.randn((self.n, width), generator=self.generator, device=self.device)

    def uniform(self, width: int) -> torch.Tensor:
        return torch.rand((self.n, width), generator=self.generator, device=self.device)


class RowNoise:
    """Noise for rows ``start:stop`` of a run of ``total`` rows seeded by ``seed``.

    The k-th call of a given kind returns, for every row, the same numbers
    whatever ``start`` and ``stop`` are, provided the caller makes the same
    sequence of calls (the nets do: their draws depend on widths only).
    """

    def __init__(self, seed: int, start: int, stop: int, total: int, device: torch.device):
        if not 0 <= start < stop <= total:
            raise ValueError(f"rows {start}:{stop} are outside a run of {total}")
        self.n, self.device = stop - start, device
        self._start, self._stop, self._total = start, stop, total
        first, last = start // SEED_BLOCK, (stop - 1) // SEED_BLOCK
        self._blocks = []  # (generator, block row offset, block size)
        for b in range(first, last + 1):
            seed_b = int(np.random.SeedSequence([seed, b]).generate_state(1, np.uint64)[0] >> 1)
            gen = torch.Generator(device=device).manual_seed(seed_b)
            lo = b * SEED_BLOCK
            self._blocks.append((gen, lo, min(SEED_BLOCK, total - lo)))

    def _draw(self, fn, width: int) -> torch.Tensor:
        out = torch.empty((self.n, width), device=self.device)
        for gen, lo, size in self._blocks:
            a, b = max(self._start - lo, 0), min(self._stop - lo, size)
            rows = out[lo + a - self._start : lo + b - self._start]
            if a == 0 and b == size:  # a whole block: drawn straight into place
                fn((size, width), generator=gen, out=rows)
            else:  # drawn whole so its stream stays aligned, then sliced
                rows.copy_(fn((size, width), generator=gen, device=self.device)[a:b])
        return out

    def normal(self, width: int) -> torch.Tensor:
        return self._draw(torch.randn, width)

    def uniform(self, width: int) -> torch.Tensor:
        return self._draw(torch.rand, width)


def gumbel(noise, width: int) -> torch.Tensor:
    """Standard Gumbel draws (``-log(-log U)``), clamped away from log(0)."""
    u = noise.uniform(width).clamp_(1e-10, 1.0 - 1e-7)
    return -torch.log(-torch.log(u))
