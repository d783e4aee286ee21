"""Decoding half of the tabular codec: encoded rows -> plain column arrays.

:class:`synthaug.codecs.tabular.TabularCodec` builds a :class:`DecodePlan`
per device (index tensors and every numeric column's knots in one table),
:func:`decode_on_device` turns an encoded float64 tensor into column-major
arrays (numeric values, category codes, missing flags) where the tensor
lives, and a :class:`ColumnCollector` gathers a sampling run's chunks so
the caller's container is built once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch


class DecodedColumns(NamedTuple):
    """Decoded rows as plain arrays (see :meth:`TabularCodec.decode_columns`),
    one row per column, so that each column is contiguous: numeric columns'
    values, categorical columns' codes (``len(categories)`` means missing),
    and the missing flags of numeric columns that have them; ``(k, n)`` each."""

    values: np.ndarray
    codes: np.ndarray
    missing: np.ndarray


class ColumnCollector:
    """Decoded chunks of one sampling run, ``n_rows`` rows in all, copied as
    they come into arrays sized for every row; :meth:`result` builds the
    caller's container once. Copying each chunk away (rather than keeping
    the chunks and concatenating them) lets the next chunk reuse the
    memory: on a million rows, fresh memory touched once instead of twice."""

    def __init__(self, codec, n_rows: int):
        self.codec, self.n_rows, self.filled, self.arrays = codec, n_rows, 0, None

    def add(self, part: DecodedColumns) -> "ColumnCollector":
        k = part.values.shape[1]
        if self.filled + k > self.n_rows:
            raise ValueError(f"{self.filled + k} decoded rows for a collector of {self.n_rows}")
        if self.arrays is None and k == self.n_rows:
            self.arrays = part  # one chunk holds every row: nothing to copy
        else:
            if self.arrays is None:
                self.arrays = DecodedColumns(
                    *(np.empty((len(a), self.n_rows), a.dtype) for a in part))
            for whole, chunk in zip(self.arrays, part):
                whole[:, self.filled : self.filled + k] = chunk
        self.filled += k
        return self

    def result(self):
        """The container of the rows added (fewer than ``n_rows`` when
        curation left some out; none at all gives an empty container)."""
        if self.arrays is None:
            return self.codec.assemble(self.codec.decode_columns(
                torch.zeros((0, self.codec.width), dtype=torch.float64)))
        arrays = self.arrays
        if self.filled < self.n_rows:
            arrays = DecodedColumns(*(a[:, : self.filled] for a in arrays))
        return self.codec.assemble(arrays)


def decode_on_device(plan: "DecodePlan", T: torch.Tensor):
    """(numeric values, category codes, missing flags) of a float64
    tensor, each ``(columns, n)``: one contiguous row per column.

    Every numeric column is looked up in one table: column j's CDF knots
    are shifted by j into (j, j + 1), so all knots form one sorted table,
    and a row's CDF value shifted the same way finds its own column's
    segment (through the slice table, :class:`Buckets`, or ``searchsorted``).
    The interpolation itself uses the unshifted knots, so values at a knot
    are exact, as with ``np.interp``.
    """
    n = len(T)
    codes = [T[:, a : a + w].argmax(1) for a, w in plan.cat_blocks]
    codes = torch.stack(codes) if codes else T.new_zeros((0, n), dtype=torch.long)
    Tt = T.T  # selecting rows of the transpose gives (columns, n) directly
    # missing when the "missing" logit/probability beats "present"
    missing = Tt.index_select(0, plan.miss_idx + 1) > Tt.index_select(0, plan.miss_idx)
    if plan.segments is None:
        return T.new_zeros((0, n)), codes, missing
    u = torch.special.ndtr(Tt.index_select(0, plan.num_idx))
    shifted_u = u + plan.shift
    if plan.buckets is not None:  # same index as searchsorted, about 3x faster
        hi = plan.buckets.first_above(u, shifted_u, plan.shifted)
    else:
        hi = torch.searchsorted(plan.shifted, shifted_u, right=True)
    hi = hi.clamp_(min=plan.first, max=plan.last)
    # one gather for the segment's knots: (columns, n, 4); index_select
    # on the flat index is about twice as fast as advanced indexing
    segments = plan.segments.index_select(0, hi.view(-1)).view(*hi.shape, 4)
    c_lo, c_width, q_lo, q_hi = segments.unbind(2)
    w = ((u - c_lo) / c_width).clamp_(0.0, 1.0)
    # torch.lerp is exact at both ends (it interpolates from the nearer
    # knot), so a value at a knot decodes to exactly the stored quantile
    x = torch.lerp(q_lo, q_hi, w)
    if plan.integer is not None:
        x = torch.where(plan.integer, torch.round(x), x)
    return x, codes, missing


@dataclass
class DecodePlan:
    """What :func:`decode_on_device` needs besides the rows (see ``build``)."""

    cat_blocks: list  # (start, width) of each categorical column's block
    miss_idx: torch.Tensor  # position of each [present, missing] block
    num_idx: torch.Tensor | None  # position of each numeric column
    shift: torch.Tensor | None  # (columns, 1): 0, 1, 2, ..., each column's shift
    shifted: torch.Tensor | None  # every column's CDF knots + its shift, sorted
    first: torch.Tensor | None  # (columns, 1): smallest searchsorted index allowed
    last: torch.Tensor | None  # (columns, 1): largest
    segments: torch.Tensor | None  # (knots, 4): c_lo, c_hi - c_lo, q_lo, q_hi
    integer: torch.Tensor | None  # (columns, 1): round the value
    buckets: "Buckets | None" = None  # a faster stand-in for searchsorted, if one fits

    @classmethod
    def build(cls, columns, device) -> "DecodePlan":
        as_t = lambda a, dt=torch.float64: torch.as_tensor(np.asarray(a), dtype=dt, device=device)
        num_pos, cat_blocks, miss_pos, pos = [], [], [], 0
        cdfs, qs, sizes, integer = [], [], [], []
        for col in columns:
            if col.kind == "categorical":
                w = len(col.categories) + col.has_missing
                cat_blocks.append((pos, w))
                pos += w
                continue
            num_pos.append(pos)
            if col.has_missing:
                miss_pos.append(pos + 1)
            pos += 1 + 2 * col.has_missing
            c, q = col.cdf, col.quantiles
            if len(c) == 1:  # a second, equal knot: every column has a segment
                c, q = np.array([0.25, 0.75]), np.repeat(q, 2)
            cdfs.append(c)
            qs.append(q)
            sizes.append(len(c))
            integer.append(col.kind == "integer")
        miss_idx = as_t(miss_pos, torch.long)
        if not num_pos:
            return cls(cat_blocks, miss_idx, *([None] * 7))
        cdf, q, stop = np.concatenate(cdfs), np.concatenate(qs), np.cumsum(sizes)
        shifted = cdf + np.repeat(np.arange(len(sizes)), sizes)
        # row i of segments describes the knot pair (i - 1, i); row 0 is unused
        lo = np.maximum(np.arange(len(cdf)) - 1, 0)
        segments = np.stack([cdf[lo], cdf - cdf[lo], q[lo], q], 1)
        return cls(
            cat_blocks, miss_idx, as_t(num_pos, torch.long),
            as_t(np.arange(len(sizes))[:, None], torch.float64), as_t(shifted),
            as_t((stop - np.asarray(sizes) + 1)[:, None], torch.long),
            as_t((stop - 1)[:, None], torch.long),
            as_t(segments), as_t(np.array(integer)[:, None], torch.bool) if any(integer) else None,
            Buckets.build(shifted, len(sizes), device),
        )


@dataclass
class Buckets:
    """Where each column's knots fall in ``B`` equal slices of (0, 1): an
    exact replacement for ``searchsorted(shifted, u + column, right=True)``.

    ``start[column * B + b]`` is the first knot above slice b's lower edge.
    A value in slice b has at most ``probes`` knots between that edge and
    itself, so ``probes`` compare-and-step rounds reach the first knot above
    it, the index ``searchsorted`` returns. Edges ``b / B + column`` are exact
    in float64 (B is a power of two) and rounding is monotone, so no value
    lands on the wrong side of an edge. Quantile knots are near evenly spaced
    in CDF, so one probe usually suffices; columns whose knots crowd into a
    few slices (a CDF with tiny steps) get no table, and searchsorted.
    """

    size: int  # B, slices per column
    probes: int
    start: torch.Tensor  # (columns * B,)
    offset: torch.Tensor  # (columns, 1): column * B

    MAX_PROBES = 2
    SIZES = (1024, 4096, 16384, 65536)

    @classmethod
    def build(cls, shifted: np.ndarray, n_columns: int, device,
              max_probes: int = MAX_PROBES) -> "Buckets | None":
        for size in cls.SIZES:
            edges = (np.arange(size)[None, :] / size + np.arange(n_columns)[:, None]).ravel()
            start = np.searchsorted(shifted, edges, side="right")
            # knots in (edge, next edge]: the most a value in a slice has to pass
            crowd = int((np.searchsorted(shifted, edges + 1.0 / size, side="right") - start).max())
            if crowd <= max_probes:
                as_t = lambda a: torch.as_tensor(a, dtype=torch.long, device=device)
                return cls(size, crowd, as_t(start), as_t(np.arange(n_columns)[:, None] * size))
        return None

    def first_above(self, u: torch.Tensor, shifted_u: torch.Tensor, shifted: torch.Tensor):
        """``searchsorted(shifted, shifted_u, right=True)`` for ``(columns, n)``
        CDF values ``u`` (``shifted_u`` = ``u`` + column)."""
        # (a NaN casts to a huge negative: clamped, it decodes to NaN as before)
        b = (u * self.size).long().clamp_(0, self.size - 1) + self.offset
        hi = self.start.index_select(0, b.view(-1)).view(b.shape)
        top = len(shifted) - 1
        for _ in range(self.probes):
            knot = shifted.index_select(0, hi.clamp(max=top).view(-1)).view(hi.shape)
            hi += (knot <= shifted_u) & (hi <= top)
        return hi
