"""Pure torch networks for tabular data: MLP blocks and a conditional VAE.

Nothing here knows about column types: the codec's spans (width, activation)
say which output blocks are real valued and which are one-hot.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F


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
    """A VAE whose encoder and decoder both see a one-hot class vector.

    With ``n_classes == 0`` it is an ordinary unconditional VAE. Real-valued
    outputs use a Gaussian likelihood with a learned per-column scale (as
    TVAE does, Xu et al. 2019), one-hot blocks a categorical likelihood.
    """

    def __init__(self, spans, n_classes: int, hidden: Sequence[int], latent_dim: int):
        super().__init__()
        self.layout = SpanLayout(spans)
        self.n_classes = n_classes
        self.latent_dim = latent_dim
        d = self.layout.width
        self.encoder = mlp([d + n_classes, *hidden, 2 * latent_dim])
        self.decoder = mlp([latent_dim + n_classes, *reversed(hidden), d])
        self.log_sigma = nn.Parameter(torch.full((len(self.layout.identity_idx),), -1.0))

    def _cond(self, y_idx: torch.Tensor | None, n: int, like: torch.Tensor):
        if self.n_classes == 0:
            return like.new_zeros((n, 0))
        return F.one_hot(y_idx, self.n_classes).to(like.dtype)

    def loss(self, x, y_idx, generator: torch.Generator, beta: float = 1.0):
        """Negative ELBO per row (mean over the batch), and its two parts."""
        c = self._cond(y_idx, len(x), x)
        mu, logvar = self.encoder(torch.cat([x, c], 1)).chunk(2, dim=1)
        logvar = logvar.clamp(-10.0, 10.0)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + eps * torch.exp(0.5 * logvar)
        out = self.decoder(torch.cat([z, c], 1))
        recon = self._reconstruction_nll(out, x)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1).mean()
        return recon + beta * kl, recon.detach(), kl.detach()

    def _reconstruction_nll(self, out, x):
        idx = self.layout.identity_idx
        log_sigma = self.log_sigma.clamp(-5.0, 2.0)
        resid = (out[:, idx] - x[:, idx]) / log_sigma.exp()
        nll = (0.5 * resid.pow(2) + log_sigma).sum(1).mean()
        for start, width in self.layout.softmax_blocks:
            target = x[:, start : start + width].argmax(1)
            nll = nll + F.cross_entropy(out[:, start : start + width], target)
        return nll

    @torch.inference_mode()
    def sample(self, y_idx, n: int, generator: torch.Generator, temperature=1.0):
        """Encoded rows: real parts drawn from the likelihood, one-hots drawn
        from the decoder's categorical (Gumbel-max), all on the module's device."""
        ref = self.log_sigma
        z = torch.randn((n, self.latent_dim), generator=generator, device=ref.device)
        out = self.decoder(torch.cat([z * temperature, self._cond(y_idx, n, ref)], 1))
        idx = self.layout.identity_idx
        noise = torch.randn((n, len(idx)), generator=generator, device=ref.device)
        out[:, idx] += noise * self.log_sigma.clamp(-5.0, 2.0).exp() * temperature
        for start, width in self.layout.softmax_blocks:
            block = out[:, start : start + width]
            u = torch.rand(block.shape, generator=generator, device=ref.device)
            choice = (block - torch.log(-torch.log(u.clamp_min(1e-20)))).argmax(1)
            out[:, start : start + width] = F.one_hot(choice, width).to(out.dtype)
        return out
