"""Pure torch networks for small images: a conditional conv VAE and a
conditional DCGAN-style generator / projection discriminator.

Images are float ``(N, C, H, W)`` in ``[-1, 1]`` with sides from 8 to 64.
Each network halves the resolution ``depth`` times down to a small base map
(about 4x4); a side that the stride does not divide is padded (replicating
the edge) on the way in and cropped on the way out, so 28x28 or 13x17
images need no resizing by the user.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

# Channel widths double per stage up to this multiple of ``width``; past it
# the parameter count grows with no gain at these resolutions.
MAX_WIDTH_MULT = 8


def geometry(h: int, w: int) -> tuple[int, int, int, int, int]:
    """``(depth, base_h, base_w, pad_h, pad_w)`` for an ``h x w`` image.

    ``depth`` stride-2 stages bring the shorter side to 4-7 pixels; padding
    makes both sides divisible by ``2**depth``.
    """
    depth = max(1, int(math.floor(math.log2(min(h, w) / 4))))
    m = 2**depth
    hp, wp = -(-h // m) * m, -(-w // m) * m
    return depth, hp // m, wp // m, hp - h, wp - w


def _widths(width: int, depth: int) -> list[int]:
    return [width * min(2**i, MAX_WIDTH_MULT) for i in range(depth + 1)]


def one_hot(y_idx, n_classes: int, n: int, like: torch.Tensor) -> torch.Tensor:
    """One-hot class rows (``(n, 0)`` for an unconditional model)."""
    if n_classes == 0:
        return like.new_zeros((n, 0))
    return F.one_hot(y_idx, n_classes).to(like.dtype)


class ConvTrunk(nn.Module):
    """Pad, a 3x3 stem, ``depth`` stride-2 4x4 convolutions, flatten."""

    def __init__(self, in_ch, h, w, width, *, spectral=False, act=nn.SiLU):
        super().__init__()
        depth, bh, bw, self.pad_h, self.pad_w = geometry(h, w)
        wrap = spectral_norm if spectral else (lambda m: m)
        chans = _widths(width, depth)
        layers = [wrap(nn.Conv2d(in_ch, chans[0], 3, 1, 1)), act()]
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [wrap(nn.Conv2d(a, b, 4, 2, 1)), act()]
        self.body = nn.Sequential(*layers)
        self.out_features = chans[-1] * bh * bw

    def forward(self, x):
        if self.pad_h or self.pad_w:
            x = F.pad(x, (0, self.pad_w, 0, self.pad_h), mode="replicate")
        return self.body(x).flatten(1)


class ConvDecoder(nn.Module):
    """Linear to a base map, ``depth`` stride-2 transposed convolutions, a 3x3
    output convolution with ``tanh``, crop to ``h x w``."""

    def __init__(self, in_dim, out_ch, h, w, width, *, batchnorm=False):
        super().__init__()
        depth, bh, bw, _, _ = geometry(h, w)
        self.h, self.w, self.base = h, w, (bh, bw)
        chans = _widths(width, depth)[::-1]
        norm = nn.BatchNorm2d if batchnorm else (lambda c: nn.Identity())
        act = nn.ReLU if batchnorm else nn.SiLU  # DCGAN's choice vs a smooth VAE decoder
        self.stem = nn.Linear(in_dim, chans[0] * bh * bw)
        layers = [norm(chans[0]), act()]
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1), norm(b), act()]
        layers += [nn.Conv2d(chans[-1], out_ch, 3, 1, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        x = self.stem(z).view(len(z), -1, *self.base)
        return self.body(x)[:, :, : self.h, : self.w]


class ConvVAE(nn.Module):
    """Class-conditional VAE: the encoder sees one-hot class maps stacked on
    the image, the decoder a one-hot vector next to ``z``.

    The likelihood is Gaussian with a learned per-channel scale (a
    "sigma-VAE", Rybkin et al. 2021), which balances reconstruction against
    the KL term without a hand-tuned weight. ``sample`` returns the decoder
    mean: pixel noise would only add grain that no real image has.
    """

    def __init__(self, channels, h, w, n_classes, width, latent_dim):
        super().__init__()
        self.n_classes, self.latent_dim, self.width = n_classes, latent_dim, width
        self.trunk = ConvTrunk(channels + n_classes, h, w, width)
        self.head = nn.Linear(self.trunk.out_features, 2 * latent_dim)
        self.decoder = ConvDecoder(latent_dim + n_classes, channels, h, w, width)
        self.log_sigma = nn.Parameter(torch.full((channels,), -1.0))

    def encode(self, x, y_idx):
        c = one_hot(y_idx, self.n_classes, len(x), x)
        maps = c[:, :, None, None].expand(-1, -1, *x.shape[2:])
        mu, logvar = self.head(self.trunk(torch.cat([x, maps], 1))).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 10.0)

    def loss(self, x, y_idx, noise, beta: float = 1.0):
        """Negative ELBO per image (mean over the batch), and its two parts.

        ``noise`` is a :class:`synthaug.nets.noise.StreamNoise` for ``len(x)`` rows.
        """
        mu, logvar = self.encode(x, y_idx)
        z = mu + noise.normal(self.latent_dim) * torch.exp(0.5 * logvar)
        out = self.decoder(torch.cat([z, one_hot(y_idx, self.n_classes, len(x), x)], 1))
        log_sigma = self.log_sigma.clamp(-6.0, 2.0)[None, :, None, None]
        resid = (out - x) / log_sigma.exp()
        recon = (0.5 * resid.pow(2) + log_sigma).flatten(1).sum(1).mean()
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1).mean()
        return recon + beta * kl, recon.detach(), kl.detach()

    @torch.inference_mode()
    def sample(self, y_idx, noise, temperature=1.0):
        """Decoder means for ``noise.n`` images; all randomness from ``noise``."""
        z = noise.normal(self.latent_dim) * temperature
        return self.decoder(torch.cat([z, one_hot(y_idx, self.n_classes, noise.n, z)], 1))


class ConditionalGenerator(nn.Module):
    """DCGAN-style generator: ``[z, one_hot(y)]`` -> image, batch norm + ReLU."""

    def __init__(self, channels, h, w, n_classes, width, latent_dim):
        super().__init__()
        self.n_classes, self.latent_dim, self.width = n_classes, latent_dim, width
        self.decoder = ConvDecoder(latent_dim + n_classes, channels, h, w, width, batchnorm=True)

    def forward(self, z, y_idx):
        return self.decoder(torch.cat([z, one_hot(y_idx, self.n_classes, len(z), z)], 1))

    @torch.inference_mode()
    def sample(self, y_idx, noise, temperature=1.0):
        """``noise.n`` images; all randomness from ``noise`` (a nets.noise
        object). ``temperature`` scales the noise vector (the truncation trick)."""
        return self(noise.normal(self.latent_dim) * temperature, y_idx)


class ProjectionDiscriminator(nn.Module):
    """Spectrally normalised conv critic with class projection (Miyato &
    Koyama 2018): ``D(x, y) = w.h(x) + embed(y).h(x)``."""

    def __init__(self, channels, h, w, n_classes, width):
        super().__init__()
        act = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        self.trunk = ConvTrunk(channels, h, w, width, spectral=True, act=act)
        self.head = spectral_norm(nn.Linear(self.trunk.out_features, 1))
        self.embed = (
            spectral_norm(nn.Embedding(n_classes, self.trunk.out_features)) if n_classes else None
        )

    def forward(self, x, y_idx):
        h = self.trunk(x)
        out = self.head(h).squeeze(1)
        if self.embed is not None:
            out = out + (self.embed(y_idx) * h).sum(1)
        return out


def random_translate(x, generator: torch.Generator, fraction: float = 0.125):
    """Shift each image by up to ``fraction`` of its side, replicating edges.

    Differentiable in ``x`` (a gather), so it can sit between the generator
    and the discriminator: DiffAugment (Zhao et al. 2020) applies it to real
    and fake images alike, which keeps a discriminator trained on a few dozen
    images from memorising them.
    """
    n, c, h, w = x.shape
    sh, sw = max(1, round(h * fraction)), max(1, round(w * fraction))
    dy = torch.randint(-sh, sh + 1, (n, 1, 1), generator=generator, device=x.device)
    dx = torch.randint(-sw, sw + 1, (n, 1, 1), generator=generator, device=x.device)
    iy = (torch.arange(h, device=x.device)[None, :, None] + dy).clamp(0, h - 1)
    ix = (torch.arange(w, device=x.device)[None, None, :] + dx).clamp(0, w - 1)
    idx = (iy * w + ix).flatten(1)[:, None, :].expand(-1, c, -1)
    return x.flatten(2).gather(2, idx).view_as(x)


def hinge_gan_step(G, D, opt_g, opt_d, x, y_idx, generator, augment: bool = True):
    """One discriminator and one generator update with the hinge loss.

    Returns the two losses as detached tensors (no host sync here).
    """
    aug = (lambda t: random_translate(t, generator)) if augment else (lambda t: t)
    n = len(x)
    z = torch.randn((n, G.latent_dim), generator=generator, device=x.device)
    fake = G(z, y_idx)
    # real and fake in one critic call: half the kernel launches of two calls
    both_y = None if y_idx is None else torch.cat([y_idx, y_idx])
    scores = D(torch.cat([aug(x), aug(fake.detach())]), both_y)
    loss_d = F.relu(1.0 - scores[:n]).mean() + F.relu(1.0 + scores[n:]).mean()
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    # the generator's loss needs gradients through the critic, not for it
    D.requires_grad_(False)
    loss_g = -D(aug(fake), y_idx).mean()
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    D.requires_grad_(True)
    return loss_d.detach(), loss_g.detach()
