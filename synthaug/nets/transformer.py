"""A small pre-norm causal transformer with a key/value cache, and batched
nucleus sampling that works with any next-token function.

Pure torch: no tokenizer, no sklearn. Every random draw (dropout, sampling)
takes an explicit ``torch.Generator``; torch's global RNG is never used, so
training and generation are reproducible and leave the caller's state alone.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F


def dropout(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    """Inverted dropout drawn from ``generator`` (``nn.Dropout`` would use the
    global RNG); the identity when ``generator`` is None or ``p`` is 0."""
    if generator is None or p <= 0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return x * keep.to(x.dtype) / (1.0 - p)


class KVCache:
    """Keys and values of every layer for the positions generated so far.

    Preallocated to ``length`` positions, so a generation step writes one
    slot per layer instead of concatenating (which would copy the cache).
    """

    def __init__(self, n_layers, batch, n_heads, length, head_dim, device, dtype):
        shape = (batch, n_heads, length, head_dim)
        self.k = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layers)]
        self.v = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layers)]
        self.length = 0

    def select(self, rows: torch.Tensor) -> "KVCache":
        """Keep only ``rows`` of the batch (finished texts leave the batch)."""
        self.k = [k.index_select(0, rows) for k in self.k]
        self.v = [v.index_select(0, rows) for v in self.v]
        return self


class Block(nn.Module):
    """Pre-norm block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, d_model: int, n_heads: int, dropout_p: float):
        super().__init__()
        self.n_heads, self.dropout_p = n_heads, dropout_p
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.out = nn.Linear(4 * d_model, d_model)

    def _heads(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.n_heads, d // self.n_heads).unbind(2)
        return q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)

    def forward(self, x, generator=None, cache: KVCache | None = None, layer: int = 0):
        q, k, v = self._heads(self.norm1(x))
        if cache is None:
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            # one new position: it may look at every cached one, so no mask
            t = cache.length
            cache.k[layer][:, :, t : t + 1] = k
            cache.v[layer][:, :, t : t + 1] = v
            a = F.scaled_dot_product_attention(
                q, cache.k[layer][:, :, : t + 1], cache.v[layer][:, :, : t + 1]
            )
        a = a.transpose(1, 2).reshape(x.shape)
        x = x + dropout(self.proj(a), self.dropout_p, generator)
        h = self.out(F.gelu(self.fc(self.norm2(x))))
        return x + dropout(h, self.dropout_p, generator)


class CausalTransformer(nn.Module):
    """GPT-style decoder with learned positions and tied input/output embeddings.

    Parameters
    ----------
    vocab_size : int
    context_length : int
        Longest input sequence (positions learned).
    d_model, n_layers, n_heads : int
    dropout : float
        Applied to embeddings and residual branches, only when a generator is
        passed to ``forward``/``loss`` (training).
    """

    def __init__(self, vocab_size, context_length, d_model=128, n_layers=2, n_heads=4,
                 dropout=0.1):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be a multiple of n_heads={n_heads}.")
        self.context_length, self.n_heads, self.dropout_p = context_length, n_heads, dropout
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(context_length, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.apply(self._init)
        for block in self.blocks:  # GPT-2: residual outputs scaled by depth
            for lin in (block.proj, block.out):
                nn.init.normal_(lin.weight, std=0.02 / math.sqrt(2 * n_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx: torch.Tensor, generator=None) -> torch.Tensor:
        """Logits ``(B, T, vocab)`` for token ids ``idx`` of shape ``(B, T)``."""
        t = idx.shape[1]
        if t > self.context_length:
            raise ValueError(f"sequence of {t} tokens exceeds context_length={self.context_length}")
        pos = torch.arange(t, device=idx.device)
        x = dropout(self.tok(idx) + self.pos(pos), self.dropout_p, generator)
        for block in self.blocks:
            x = block(x, generator)
        return self.norm(x) @ self.tok.weight.T

    def loss(self, idx, targets, generator=None) -> torch.Tensor:
        """Mean next-token cross-entropy; targets of -100 (padding) are ignored."""
        logits = self(idx, generator)
        return F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=-100)

    def new_cache(self, batch: int, length: int) -> KVCache:
        ref = self.tok.weight
        d = ref.shape[1]
        return KVCache(len(self.blocks), batch, self.n_heads, length, d // self.n_heads,
                       ref.device, ref.dtype)

    def step(self, tokens: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Logits ``(B, vocab)`` after appending ``tokens`` ``(B,)`` at the cache's position."""
        t = cache.length
        x = self.tok(tokens)[:, None] + self.pos.weight[t]
        for i, block in enumerate(self.blocks):
            x = block(x, cache=cache, layer=i)
        cache.length = t + 1
        return (self.norm(x) @ self.tok.weight.T)[:, 0]


def next_tokens(logits, temperature: float, top_p: float, generator) -> torch.Tensor:
    """Draw one id per row: temperature, then nucleus (top-p) truncation.

    ``temperature == 0`` is greedy. Nucleus keeps the smallest set of most
    likely ids whose probability reaches ``top_p`` (Holtzman et al. 2020).
    The draw is an exponential race (argmax of p / E with E ~ Exp(1)), which
    samples from p with one ``torch.rand`` call on the logits' device.
    """
    if temperature == 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, -1)
    if top_p < 1.0:
        sorted_p, order = probs.sort(-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p  # mass of strictly likelier ids
        sorted_p = sorted_p.masked_fill(before >= top_p, 0.0)
        probs = torch.zeros_like(probs).scatter_(-1, order, sorted_p)
    u = torch.rand(probs.shape, generator=generator, device=probs.device)
    return (probs / -torch.log(u.clamp_min(1e-30))).argmax(-1)


@torch.inference_mode()
def generate(
    step: Callable, state, first: torch.Tensor, *, eos_id: int, max_new: int,
    temperature: float, top_p: float, generator: torch.Generator,
    select: Callable | None = None,
) -> torch.Tensor:
    """Sample up to ``max_new`` tokens for every row, batched, until each row
    has produced ``eos_id`` or ``max_new`` tokens (so it always terminates).

    Parameters
    ----------
    step : callable ``(tokens (B,), state) -> (logits (B, V), state)``
        Appends one token per row and returns next-token logits over the ids
        that may be drawn (the caller leaves out labels and other specials).
    state : whatever ``step`` keeps (a :class:`KVCache`)
    first : (B,) int tensor, the prefix token of each row
    select : callable ``(state, rows) -> state``, optional
        Drops finished rows from ``state``; when given, the batch shrinks
        once half of it has finished, so long tails cost little.

    Returns
    -------
    (B, max_new) int64 tensor: the tokens, ``eos_id`` from each row's end on.
    """
    n = len(first)
    out = torch.full((n, max_new), eos_id, dtype=torch.long, device=first.device)
    rows = torch.arange(n, device=first.device)
    tokens, alive = first, torch.ones(n, dtype=torch.bool, device=first.device)
    for t in range(max_new):
        logits, state = step(tokens, state)
        nxt = next_tokens(logits, temperature, top_p, generator)
        nxt = torch.where(alive, nxt, eos_id)
        out[rows, t] = nxt
        alive = alive & (nxt != eos_id)
        n_alive = int(alive.sum())  # one host sync per token: lets us stop early
        if n_alive == 0:
            break
        if select is not None and n_alive <= len(rows) // 2:
            keep = alive.nonzero().squeeze(1)
            state, rows, nxt = select(state, keep), rows[keep], nxt[keep]
            alive = alive[keep]
        tokens = nxt
    return out
