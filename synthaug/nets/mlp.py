"""Pure torch networks for tabular data: MLP blocks and a conditional VAE.

Nothing here knows about column types: the codec's spans (width, activation)
say which output blocks are real valued and which are one-hot.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .noise import gumbel


def mlp(sizes: Sequence[int]) -> nn.Sequential:
    """Linear + SiLU layers, linear output (no activation on the last layer)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class SpanLayout(nn.Module):
    """Index buffers for the identity and softmax blocks of an encoded row.

    Buffers move with the module, so loss and sampling never build index
    tensors on the host per batch.
    """

    def __init__(self, spans: Sequence[tuple[int, str]]):
        super().__init__()
        identity, softmax, pos = [], [], 0
        for width, activation in spans:
            if activation == "identity":
                identity.extend(range(pos, pos + width))
            elif activation == "softmax":
                softmax.append((pos, width))
            else:
                raise ValueError(f"unknown span activation {activation!r}")
            pos += width
        self.width = pos
        self.softmax_blocks = softmax
        self.register_buffer("identity_idx", torch.tensor(identity, dtype=torch.long))


class ConditionalVAE(nn.Module):
    """A VAE whose encoder and decoder both see a condition vector.

    The condition (label one-hot and discrete block, see
    :mod:`synthaug.nets.conditioning`) is built by the caller; with
    ``cond_dim == 0`` this is an ordinary unconditional VAE. Real-valued
    outputs use a Gaussian likelihood with a learned per-column scale (as
    TVAE does, Xu et al. 2019), one-hot blocks a categorical likelihood.
    """

    def __init__(self, spans, cond_dim: int, hidden: Sequence[int], latent_dim: int):
        super().__init__()
        self.layout = SpanLayout(spans)
        self.cond_dim = cond_dim
        self.latent_dim = latent_dim
        d = self.layout.width
        self.encoder = mlp([d + cond_dim, *hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim + cond_dim, *reversed(hidden), d])
        self.log_sigma = nn.Parameter(torch.full((len(self.layout.identity_idx),), -1.0))

    def loss(self, x, cond, noise, beta: float = 1.0):
        """Negative ELBO per row (mean over the batch), and its two parts.

        ``noise`` is a :class:`synthaug.nets.noise.StreamNoise` for ``len(x)`` rows.
        """
        out, mu, logvar = self._pass(x, cond, noise)
        recon = self._reconstruction_nll(out, x)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1).mean()
        return recon + beta * kl, recon.detach(), kl.detach()

    def loss_rows(self, x, cond, noise, beta: float = 1.0):
        """The negative ELBO of each row (not averaged), and its two parts:
        what a semi-supervised objective weights row by row."""
        out, mu, logvar = self._pass(x, cond, noise)
        recon = self._reconstruction_nll(out, x, reduction="none")
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)
        return recon + beta * kl, recon.detach(), kl.detach()

    def _pass(self, x, cond, noise):
        """Encode, draw z by the reparameterisation, decode: (out, mu, logvar)."""
        mu, logvar = self.encoder(torch.cat([x, cond], 1)).chunk(2, dim=1)
        logvar = logvar.clamp(-10.0, 10.0)
        z = mu + noise.normal(self.latent_dim) * torch.exp(0.5 * logvar)
        return self.decoder(torch.cat([z, cond], 1)), mu, logvar

    def _reconstruction_nll(self, out, x, reduction: str = "mean"):
        idx = self.layout.identity_idx
        log_sigma = self.log_sigma.clamp(-5.0, 2.0)
        resid = (out[:, idx] - x[:, idx]) / log_sigma.exp()
        nll = (0.5 * resid.pow(2) + log_sigma).sum(1)
        nll = nll.mean() if reduction == "mean" else nll
        for start, width in self.layout.softmax_blocks:
            target = x[:, start : start + width].argmax(1)
            nll = nll + F.cross_entropy(out[:, start : start + width], target,
                                        reduction=reduction)
        return nll

    @torch.inference_mode()
    def sample(self, cond, noise, temperature=1.0):
        """Encoded rows: real parts drawn from the likelihood, one-hots drawn
        from the decoder's categorical (Gumbel-max), all on the module's device.
        ``noise`` supplies every random number (``noise.n`` rows)."""
        z = noise.normal(self.latent_dim)
        out = self.decoder(torch.cat([z * temperature, cond], 1))
        idx = self.layout.identity_idx
        eps = noise.normal(len(idx))
        out[:, idx] += eps * self.log_sigma.clamp(-5.0, 2.0).exp() * temperature
        for start, width in self.layout.softmax_blocks:
            block = out[:, start : start + width]
            choice = (block + gumbel(noise, width)).argmax(1)
            out[:, start : start + width] = F.one_hot(choice, width).to(out.dtype)
        return out
