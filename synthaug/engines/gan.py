"""The GAN engine: one training loop for every modality's conditional GAN.

What every GAN here shares lives in :class:`GANEngine`: seeded nets, the
epoch loop, a weight-averaged generator that is what samples (with a
warm-up), and the finite checks on losses and averaged weights. A subclass
supplies its critic, optimisers and one epoch of steps: the tabular WGAN-GP
(:mod:`synthaug.engines.gan_tabular`) and the image hinge GAN below.
"""
from __future__ import annotations

import copy
import math

import torch

from ..nets.conv import ProjectionDiscriminator, hinge_gan_step
from .base import TrainingSet
from .conditional import ConditionalEngine
from .training import WeightAverage, check_finite, run_epochs, seeded_init


class GANEngine(ConditionalEngine):
    """Base of the GAN engines (see the module docstring).

    Subclasses set ``keys`` (the history) and implement ``_critics()``
    (the nets trained against the generator), ``_optimizers(G, critics)``
    and ``_epoch(run) -> list of per-key means``.
    """

    keys: tuple = ()
    hint = ""  # added to the divergence message after "lower learning_rate"

    def __init__(self, build_net, conditioning, *, epochs: int, batch_size, learning_rate: float,
                 ema_decay: float):
        super().__init__(build_net, conditioning)
        self.epochs, self.batch_size = epochs, batch_size
        self.learning_rate, self.ema_decay = learning_rate, ema_decay

    def fit(self, data: TrainingSet, seed: int, device, desc: str, verbose: bool) -> dict:
        X = self._setup(data, device)
        nets = seeded_init(seed, self._build_nets)
        G, *critics = (net if net is None else net.to(device).train() for net in nets)
        average = copy.deepcopy(G).requires_grad_(False)
        run = _Run(X, G, critics, self._optimizers(G, critics),
                   WeightAverage(G, average, self.ema_decay),
                   torch.Generator(device=device).manual_seed(seed))
        history = run_epochs(self.epochs, lambda _: self._epoch(run), self.keys, desc=desc,
                             verbose=verbose, hint=self.hint)
        if not run.average.finite():  # a model that would sample NaN is never kept
            check_finite([math.nan], desc, self.epochs - 1, self.hint)
        self._keep(average)
        return history


    def _build_nets(self) -> tuple:
        """(generator, *critics), weights drawn in this order."""
        return (self.build_net(self.layout, self.conditioning), *self._critics())


class _Run:
    """One fit's training tensor, nets, optimisers, weight average and RNG."""

    def __init__(self, X, G, critics, optimizers, average, generator):
        self.X, self.G, self.critics, self.opts = X, G, critics, optimizers
        self.average, self.gen = average, generator


class ImageGANEngine(GANEngine):
    """DCGAN-style training: hinge loss, a spectrally normalised projection
    critic, Adam (betas 0.5, 0.999 as in DCGAN) for both nets, optional
    DiffAugment translations (``augment``).

    History keys: ``discriminator``, ``generator`` (per-epoch means).
    """

    keys = ("discriminator", "generator")

    def __init__(self, build_net, conditioning, *, width: int, augment: bool, **kw):
        super().__init__(build_net, conditioning, **kw)
        self.width, self.augment = width, augment

    def _critics(self):
        c, h, w = self.layout
        return (ProjectionDiscriminator(c, h, w, self.conditioning.dim, self.width),)

    def _optimizers(self, G, critics):
        return [torch.optim.Adam(m.parameters(), lr=self.learning_rate, betas=(0.5, 0.999))
                for m in (G, *critics)]

    def _epoch(self, run: _Run) -> list:
        device = run.X.device
        sums, seen = torch.zeros(2, device=device), 0
        (D,), (opt_g, opt_d) = run.critics, run.opts
        for rows, y, _ in self.conditioning.epoch(self.batch_size, run.gen, device):
            losses = hinge_gan_step(run.G, D, opt_g, opt_d, run.X[rows], y, run.gen,
                                    self.augment)
            run.average.update()
            sums += torch.stack(losses) * len(rows)
            seen += len(rows)
        return (sums / seen).tolist()
