"""ImageVAE: a class-conditional convolutional VAE for small images."""
from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

from .._validation import check_positive
from ..base import BaseAugmenter, seeded_init
from ..nets.conv import ConvVAE
from ..nets.noise import StreamNoise
from ._image import ImageMixin, batch_indices, check_finite


class ImageVAE(ImageMixin, BaseAugmenter):
    """Class-conditional convolutional variational autoencoder for images.

    Fits on numpy arrays or torch tensors of shape ``(N, C, H, W)`` or
    ``(N, H, W)`` (1 or 3 channels, sides from 8 to 64 pixels), or on a
    map-style ``torch.utils.data.Dataset`` of ``(image, label)``. Samples come
    back in the input's container, layout, dtype and value range.

    Parameters
    ----------
    epochs : int, default=300
        Passes over the training images.
    batch_size : int, default=64
        Images per gradient step (capped at the number of images).
    width : int, default=32
        Channels of the first convolution; each stride-2 stage doubles them
        (up to 8x).
    latent_dim : int, default=32
    learning_rate : float, default=2e-3
        Adam's step size; on a few hundred images 1e-3 leaves the decoder
        visibly undertrained after the default epochs.
    weight_decay : float, default=0.0
    beta : float, default=1.0
        Weight of the KL term; lower values give sharper, less varied images.
    sampling_strategy : float, str, dict or callable, default="auto"
        How many images ``fit_resample`` adds per class, with imbalanced-learn's
        meanings (see :mod:`synthaug.sampling`).
    synthetic_ratio : float or None, default=None
        When set, ``fit_resample`` instead adds ``round(synthetic_ratio * n_c)``
        images to every class ``c``.
    device : "auto", "cpu", "cuda" or torch.device, default="auto"
        Resolved in ``fit``; "auto" picks CUDA when present.
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False
        Show a progress bar with the current loss.

    Attributes
    ----------
    classes_, class_counts_ : labels seen in fit and their counts
    image_shape_ : tuple (C, H, W)
    codec_ : :class:`synthaug.codecs.image.ImageCodec` (container, dtype, range)
    device_ : torch.device the network lives on
    history_ : dict of per-epoch mean ``loss``, ``reconstruction`` and ``kl``
    net_ : the fitted :class:`synthaug.nets.conv.ConvVAE`
    """

    def __init__(
        self,
        *,
        epochs=300,
        batch_size=64,
        width=32,
        latent_dim=32,
        learning_rate=2e-3,
        weight_decay=0.0,
        beta=1.0,
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
        self.weight_decay = weight_decay
        self.beta = beta
        self.sampling_strategy = sampling_strategy
        self.synthetic_ratio = synthetic_ratio
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _validate_params(self) -> None:
        for name in ("epochs", "batch_size", "width", "latent_dim"):
            check_positive(getattr(self, name), name, integer=True)
        check_positive(self.learning_rate, "learning_rate")
        check_positive(self.weight_decay, "weight_decay", allow_zero=True)
        check_positive(self.beta, "beta", allow_zero=True)
        if self.synthetic_ratio is not None:
            check_positive(self.synthetic_ratio, "synthetic_ratio")

    def _build_net(self) -> ConvVAE:
        return ConvVAE(latent_dim=self.latent_dim, **self._net_dims())

    def _fit(self, M: np.ndarray, y_idx, seed: int) -> None:
        dev = self.device_
        X = torch.as_tensor(M, dtype=torch.float32, device=dev)
        y = None if y_idx is None else torch.as_tensor(y_idx, device=dev)
        self.net_ = seeded_init(seed, self._build_net).to(dev)
        self.net_.train()
        opt = torch.optim.Adam(
            self.net_.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        gen = torch.Generator(device=dev).manual_seed(seed)
        self.history_ = {"loss": [], "reconstruction": [], "kl": []}
        bar = tqdm(range(self.epochs), disable=not self.verbose, desc="ImageVAE", unit="epoch")
        for _ in bar:
            sums = torch.zeros(3, device=dev)
            for rows in batch_indices(len(X), self.batch_size, gen, dev):
                noise = StreamNoise(gen, len(rows), dev)
                loss, recon, kl = self.net_.loss(
                    X[rows], None if y is None else y[rows], noise, self.beta
                )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sums += torch.stack([loss.detach(), recon, kl]) * len(rows)
            epoch = (sums / len(X)).tolist()  # one host sync per epoch, not per step
            check_finite(epoch, "ImageVAE")
            for key, value in zip(self.history_, epoch):
                self.history_[key].append(value)
            bar.set_postfix(loss=f"{epoch[0]:.3f}")
        self.net_.eval()

    def _build_sampling_net(self) -> ConvVAE:
        return self._build_net()
