"""ImageGAN: a class-conditional DCGAN-style GAN for small images."""
from __future__ import annotations

import copy

import numpy as np
import torch
from tqdm.auto import tqdm

from .._validation import check_positive
from ..base import BaseAugmenter, seeded_init
from ..nets.conv import ConditionalGenerator, ProjectionDiscriminator, hinge_gan_step
from ._image import ImageMixin, batch_indices, check_finite


class ImageGAN(ImageMixin, BaseAugmenter):
    """Class-conditional GAN for images (DCGAN generator, projection critic).

    The generator maps noise and a one-hot label to an image through
    transposed convolutions with batch norm; the spectrally normalised
    discriminator scores ``(image, label)`` pairs by class projection and is
    trained with the hinge loss. Samples come from an exponential moving
    average of the generator's weights, which is steadier than its last
    step. Inputs and outputs are as for :class:`synthaug.ImageVAE`.

    Parameters
    ----------
    epochs : int, default=300
        Passes over the training images (one discriminator and one
        generator step per batch).
    batch_size : int, default=64
        Images per step (capped at the number of images; a final short batch
        is dropped).
    width : int, default=32
        Channels at full resolution; each stride-2 stage doubles them (up to 8x).
    latent_dim : int, default=64
        Size of the generator's noise vector.
    learning_rate : float, default=1e-3
        Adam's step size for both networks (betas 0.5, 0.999 as in DCGAN).
        Higher than DCGAN's 2e-4: with spectral norm and weight averaging it
        stays stable, and on a few hundred images class conditioning emerges
        in about a quarter of the steps.
    ema_decay : float in [0, 1), default=0.999
        Decay of the averaged generator used for sampling (0 keeps the last step).
    augment : bool, default=True
        Random translations of real and fake images before the discriminator
        (DiffAugment, Zhao et al. 2020): the generator never learns them, but
        a critic that sees few images no longer memorises them.
    sampling_strategy, synthetic_ratio, device, random_state, verbose
        As for :class:`synthaug.ImageVAE`.

    Attributes
    ----------
    classes_, class_counts_, image_shape_, codec_, device_
        As for :class:`synthaug.ImageVAE`.
    history_ : dict of per-epoch mean ``loss_d`` and ``loss_g``
    generator_ : the averaged :class:`synthaug.nets.conv.ConditionalGenerator`
    """

    _net_name = "generator"  # fitted as generator_, saved under "generator.*"

    def __init__(
        self,
        *,
        epochs=300,
        batch_size=64,
        width=32,
        latent_dim=64,
        learning_rate=1e-3,
        ema_decay=0.999,
        augment=True,
        sampling_strategy="auto",
        synthetic_ratio=None,
        device="auto",
        random_state=None,
        verbose=False,
    ):
        self.epochs = epochs
        self.batch_size = batch_size
        self.width = width
        self.latent_dim = latent_dim
        self.learning_rate = learning_rate
        self.ema_decay = ema_decay
        self.augment = augment
        self.sampling_strategy = sampling_strategy
        self.synthetic_ratio = synthetic_ratio
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _validate_params(self) -> None:
        for name in ("epochs", "batch_size", "width", "latent_dim"):
            check_positive(getattr(self, name), name, integer=True)
        check_positive(self.learning_rate, "learning_rate")
        check_positive(self.ema_decay, "ema_decay", allow_zero=True)
        if self.ema_decay >= 1:
            raise ValueError(f"ema_decay must be in [0, 1); got {self.ema_decay!r}.")
        if not isinstance(self.augment, (bool, np.bool_)):
            raise TypeError(f"augment must be True or False; got {self.augment!r}.")
        if self.synthetic_ratio is not None:
            check_positive(self.synthetic_ratio, "synthetic_ratio")

    def _build_generator(self) -> ConditionalGenerator:
        return ConditionalGenerator(latent_dim=self.latent_dim, **self._net_dims())

    def _build_nets(self):
        dims = self._net_dims()
        return self._build_generator(), ProjectionDiscriminator(**dims)

    def _fit(self, M: np.ndarray, y_idx, seed: int) -> None:
        dev = self.device_
        X = torch.as_tensor(M, dtype=torch.float32, device=dev)
        y = None if y_idx is None else torch.as_tensor(y_idx, device=dev)
        G, D = (m.to(dev).train() for m in seeded_init(seed, self._build_nets))
        ema = copy.deepcopy(G).requires_grad_(False)
        opt_g, opt_d = (
            torch.optim.Adam(m.parameters(), lr=self.learning_rate, betas=(0.5, 0.999))
            for m in (G, D)
        )
        gen = torch.Generator(device=dev).manual_seed(seed)
        self.history_ = {"loss_d": [], "loss_g": []}
        bar = tqdm(range(self.epochs), disable=not self.verbose, desc="ImageGAN", unit="epoch")
        step = 0
        for _ in bar:
            sums, seen = torch.zeros(2, device=dev), 0
            for rows in batch_indices(len(X), self.batch_size, gen, dev, drop_last=True):
                losses = hinge_gan_step(
                    G, D, opt_g, opt_d, X[rows], None if y is None else y[rows], gen, self.augment
                )
                step += 1
                _ema_update(ema, G, min(float(self.ema_decay), (1 + step) / (10 + step)))
                sums += torch.stack(losses) * len(rows)
                seen += len(rows)
            epoch = (sums / seen).tolist()  # one host sync per epoch
            check_finite(epoch, "ImageGAN")
            for key, value in zip(self.history_, epoch):
                self.history_[key].append(value)
            bar.set_postfix(d=f"{epoch[0]:.3f}", g=f"{epoch[1]:.3f}")
        # only the averaged generator is kept: the critic is not needed to sample
        self.generator_ = ema.eval()

    def _build_sampling_net(self) -> ConditionalGenerator:
        # frozen, as the weight average kept by fit is
        return self._build_generator().requires_grad_(False)


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    # warm-up (decay grows from 0.1) so a short fit is not stuck near the init
    for e, p in zip(ema.parameters(), model.parameters()):
        e.lerp_(p, 1.0 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)
