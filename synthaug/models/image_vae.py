"""ImageVAE: a class-conditional convolutional VAE for small images."""
from __future__ import annotations

from functools import partial

from ..codecs.image import ImageCodec
from ..core.estimator import BaseAugmenter, Parts
from ..core.params import COMMON, RESAMPLING, Count, NonNegative, Positive
from ..engines.conditioning import ImageConditioning
from ..engines.vae import VAEEngine
from ..nets.conv import ConvVAE


class ImageVAE(BaseAugmenter):
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
    temperature : float > 0, default=1.0
        Scale of the latent draw when sampling: below 1, images stay nearer
        each class's typical images (BigGAN's truncation trick).
    sampling_strategy : float, str, dict or callable, default="auto"
        How many images ``fit_resample`` adds per class, with imbalanced-learn's
        meanings (see :mod:`synthaug.sampling`).
    synthetic_ratio : float or None, default=None
        When set, ``fit_resample`` instead adds ``round(synthetic_ratio * n_c)``
        images to every class ``c``.
    sample_batch_size : int or None, default=None
        Images generated per device call. None keeps one call near 2**25
        floats of activations (``sample_batch_size_`` says how many).
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
    engine_ : the fitted :class:`synthaug.engines.vae.VAEEngine`
    net_ : the fitted :class:`synthaug.nets.conv.ConvVAE` (``engine_.net``)
    """

    _codec_class = ImageCodec
    _parameter_constraints = {
        "epochs": [Count()], "batch_size": [Count()], "width": [Count()],
        "latent_dim": [Count()], "learning_rate": [Positive()], "weight_decay": [NonNegative()],
        "beta": [NonNegative()], "temperature": [Positive()], **RESAMPLING, **COMMON,
    }

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
        temperature=1.0,
        sampling_strategy="auto",
        synthetic_ratio=None,
        sample_batch_size=None,
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
        self.temperature = temperature
        self.sampling_strategy = sampling_strategy
        self.synthetic_ratio = synthetic_ratio
        self.sample_batch_size = sample_batch_size
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _make_parts(self) -> Parts:
        net = partial(conv_vae_net, width=self.width, latent_dim=self.latent_dim)
        engine = VAEEngine(net, ImageConditioning, epochs=self.epochs,
                           batch_size=self.batch_size, learning_rate=self.learning_rate,
                           weight_decay=self.weight_decay, beta=self.beta)
        return Parts(ImageCodec(), engine)


def conv_vae_net(layout, conditioning, width, latent_dim) -> ConvVAE:
    """The VAE for an image shape ``(C, H, W)`` and number of classes."""
    c, h, w = layout
    return ConvVAE(c, h, w, conditioning.dim, width, latent_dim)
