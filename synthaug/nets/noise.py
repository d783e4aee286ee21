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


def sub_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed that depends only on ``seed`` and the non-negative ``keys``."""
    entropy = [int(seed), *map(int, keys)]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> 1)


# the third key of a run's unit generator (RowNoise.generator); seed blocks
# use two keys, so the streams never coincide
UNIT_STREAM = 1


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
        self._seed = seed
        for b in range(first, last + 1):
            gen = torch.Generator(device=device).manual_seed(sub_seed(seed, b))
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

    def generator(self) -> torch.Generator:
        """One generator for all rows ``start:stop``, for nets that draw step
        by step in a data-dependent order (a language model's tokens). Its
        draws depend on the seed and ``start`` only, so a run cut into the
        same units of rows draws the same samples however it is chunked."""
        seed = sub_seed(self._seed, self._start, UNIT_STREAM)
        return torch.Generator(device=self.device).manual_seed(seed)


def gumbel(noise, width: int) -> torch.Tensor:
    """Standard Gumbel draws (``-log(-log U)``), clamped away from log(0)."""
    u = noise.uniform(width).clamp_(1e-10, 1.0 - 1e-7)
    return -torch.log(-torch.log(u))
