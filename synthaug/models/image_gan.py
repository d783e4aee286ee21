"""ImageGAN: a class-conditional DCGAN-style GAN for small images."""
from __future__ import annotations

from functools import partial

from ..codecs.image import ImageCodec
from ..core.estimator import BaseAugmenter, Parts
from ..core.params import COMMON, RESAMPLING, Count, Positive, Unit
from ..engines.conditioning import ImageConditioning
from ..engines.gan import ImageGANEngine
from ..nets.conv import ConditionalGenerator


class ImageGAN(BaseAugmenter):
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
    temperature : float > 0, default=1.0
        Scale of the noise vector when sampling (the truncation trick of
        BigGAN, Brock et al. 2019): below 1, images stay nearer the modes
        the generator learned.
    augment : bool, default=True
        Random translations of real and fake images before the discriminator
        (DiffAugment, Zhao et al. 2020): the generator never learns them, but
        a critic that sees few images no longer memorises them.
    sampling_strategy, synthetic_ratio, sample_batch_size, device, random_state, verbose
        As for :class:`synthaug.ImageVAE`.

    Attributes
    ----------
    classes_, class_counts_, image_shape_, codec_, device_
        As for :class:`synthaug.ImageVAE`.
    history_ : dict of per-epoch mean ``discriminator`` and ``generator`` losses
    engine_ : the fitted :class:`synthaug.engines.gan.ImageGANEngine`
    net_ : the averaged :class:`synthaug.nets.conv.ConditionalGenerator`
        (``engine_.net``; the critic is discarded after fit)
    """

    _codec_class = ImageCodec
    _parameter_constraints = {
        "epochs": [Count()], "batch_size": [Count()], "width": [Count()],
        "latent_dim": [Count()], "learning_rate": [Positive()], "ema_decay": [Unit("left")],
        "temperature": [Positive()], "augment": ["boolean"], **RESAMPLING, **COMMON,
    }

    def __init__(
        self,
        *,
        epochs=300,
        batch_size=64,
        width=32,
        latent_dim=64,
        learning_rate=1e-3,
        ema_decay=0.999,
        temperature=1.0,
        augment=True,
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
        self.ema_decay = ema_decay
        self.temperature = temperature
        self.augment = augment
        self.sampling_strategy = sampling_strategy
        self.synthetic_ratio = synthetic_ratio
        self.sample_batch_size = sample_batch_size
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _make_parts(self) -> Parts:
        net = partial(conv_generator_net, width=self.width, latent_dim=self.latent_dim)
        engine = ImageGANEngine(
            net, partial(ImageConditioning, drop_last=True), epochs=self.epochs,
            batch_size=self.batch_size, learning_rate=self.learning_rate,
            ema_decay=self.ema_decay, width=self.width, augment=bool(self.augment),
        )
        return Parts(ImageCodec(), engine)


def conv_generator_net(layout, conditioning, width, latent_dim) -> ConditionalGenerator:
    """The generator for an image shape ``(C, H, W)`` and number of classes."""
    c, h, w = layout
    return ConditionalGenerator(c, h, w, conditioning.dim, width, latent_dim)
