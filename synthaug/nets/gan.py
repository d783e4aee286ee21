"""Pure torch networks for a conditional tabular GAN (WGAN-GP with packing).

Written from the papers' descriptions: Wasserstein loss with gradient
penalty (Gulrajani et al. 2017), packing ``pac`` samples into one critic
input against mode collapse (PacGAN, Lin et al. 2018), and the conditional
generator with training-by-sampling of CTGAN (Xu et al. 2019); the condition
vector itself lives in :mod:`synthaug.nets.conditioning`.

Output activations per span. Real-valued parts are **identity**: the codec
hands over N(0, 1) values from a quantile transform, so the target is
already on a unit scale, and decoding clips to the training range (it
interpolates the stored quantiles, never extrapolates), so an unbounded
output cannot produce an out-of-range value. A tanh would need a scale tied
to the number of training rows (the largest |z| grows with it) and its
saturation starves the tails of gradient. One-hot blocks use a
Gumbel-softmax (temperature 0.2) while training, so the critic sees near
one-hot vectors through which gradients still flow, and Gumbel-max (an
exact categorical draw) when sampling.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .mlp import SpanLayout
from .noise import gumbel

GUMBEL_TAU = 0.2


class _DenseBlock(nn.Module):
    """Linear -> LayerNorm -> ReLU, concatenated to its input (as CTGAN's
    residual layers, so the last layer still sees the noise and condition).
    LayerNorm rather than BatchNorm: it acts per row, so sampling in eval mode
    behaves exactly as training did, and tiny batches do not skew it."""

    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.fc, self.norm = nn.Linear(d_in, d_out), nn.LayerNorm(d_out)

    def forward(self, x):
        return torch.cat([F.relu(self.norm(self.fc(x))), x], 1)


class TabularGenerator(nn.Module):
    """``[z | condition] -> encoded row`` with per-span output activations.

    Parameters
    ----------
    spans : sequence of (width, activation)
        The codec's output spans ("identity" or "softmax").
    cond_dim : int
        Width of the condition vector.
    hidden : sequence of int
        Widths of the dense blocks.
    latent_dim : int
        Width of the noise vector ``z``.
    """

    def __init__(self, spans, cond_dim: int, hidden: Sequence[int], latent_dim: int):
        super().__init__()
        self.layout = SpanLayout(spans)
        self.latent_dim, self.cond_dim = latent_dim, cond_dim
        blocks, d = [], latent_dim + cond_dim
        for h in hidden:
            blocks.append(_DenseBlock(d, h))
            d += h
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(d, self.layout.width)

    def forward(self, z, cond):
        """Raw outputs (logits for one-hot blocks)."""
        return self.head(self.body(torch.cat([z, cond], 1)))

    def activate(self, raw, noise):
        """Training outputs: identity parts, Gumbel-softmax one-hot blocks."""
        parts, pos = [], 0
        for start, width in self.layout.softmax_blocks:
            if start > pos:
                parts.append(raw[:, pos:start])
            logits = raw[:, start : start + width] + gumbel(noise, width)
            parts.append(F.softmax(logits / GUMBEL_TAU, 1))
            pos = start + width
        if pos < raw.shape[1]:
            parts.append(raw[:, pos:])
        return torch.cat(parts, 1)

    @torch.inference_mode()
    def sample(self, cond, noise, temperature=1.0):
        """Encoded rows for ``noise.n`` conditions: real parts as generated,
        one-hot blocks drawn from the generator's categorical (Gumbel-max).
        ``temperature`` scales the noise vector (the truncation trick)."""
        out = self(noise.normal(self.latent_dim) * temperature, cond)
        for start, width in self.layout.softmax_blocks:
            block = out[:, start : start + width]
            choice = (block + gumbel(noise, width)).argmax(1)
            out[:, start : start + width] = F.one_hot(choice, width).to(out.dtype)
        return out


class PackedCritic(nn.Module):
    """WGAN critic that scores ``pac`` rows (with their conditions) at once.

    No dropout (CTGAN uses 0.5): the gradient penalty already keeps the critic
    smooth, and on a few hundred rows dropout made the samples no better in
    our runs while adding noise to the critic's estimate.
    """

    def __init__(self, row_dim: int, hidden: Sequence[int], pac: int):
        super().__init__()
        self.pac = pac
        sizes = [pac * row_dim, *hidden]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Linear(sizes[-1], 1)

    def forward(self, x):
        h = x.reshape(len(x) // self.pac, -1)
        for layer in self.layers:
            h = F.leaky_relu(layer(h), 0.2)
        return self.out(h).squeeze(1)


class LabelClassifier(nn.Module):
    """Predicts a row's label from its encoded values (no condition): the
    auxiliary classifier of CTAB-GAN (Zhao et al. 2021). Trained on real
    rows; the generator is penalised when its rows would be classified as
    another class than the one it was asked for."""

    def __init__(self, row_dim: int, n_classes: int, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(row_dim, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, x):
        return self.net(x)


def label_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against ``target`` class probabilities (one-hot, or soft
    pseudo-labels), over the rows that have a label (an all-zero target
    means "label unknown" and is skipped)."""
    known = target.sum(1) > 0
    ce = -(target * F.log_softmax(logits, 1)).sum(1)
    return ce[known].mean() if bool(known.any()) else logits.new_zeros(())


def critic_loss(critic: PackedCritic, real, fake, generator, penalty: float):
    """WGAN-GP critic loss ``D(fake) - D(real) + penalty * GP``.

    ``real`` and ``fake`` already carry their condition columns. The gradient
    penalty is taken at random points between packed real and fake inputs,
    one mixing weight per pack, with the norm over the whole packed vector.
    Returns the loss and the (detached) Wasserstein estimate.
    """
    pac = critic.pac
    alpha = torch.rand((len(real) // pac, 1), generator=generator, device=real.device)
    alpha = alpha.repeat_interleave(pac, 0)
    mixed = (alpha * real + (1.0 - alpha) * fake).requires_grad_(True)
    # one pass over real, fake and mixed packs (each third is whole packs;
    # the critic scores every pack on its own, so they do not interact)
    d_real, d_fake, d_mixed = critic(torch.cat([real, fake, mixed])).split(len(real) // pac)
    (grad,) = torch.autograd.grad(d_mixed.sum(), mixed, create_graph=True)
    norm = grad.reshape(len(real) // pac, -1).norm(dim=1)
    gp = (norm - 1.0).pow(2).mean()
    wasserstein = d_real.mean() - d_fake.mean()
    return -wasserstein + penalty * gp, wasserstein.detach()
