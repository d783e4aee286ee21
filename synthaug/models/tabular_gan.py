"""TabularGAN: a conditional Wasserstein GAN for mixed-type tables."""
from __future__ import annotations

from functools import partial

from ..codecs.tabular import TabularCodec
from ..core.estimator import BaseAugmenter, Parts
from ..core.params import (
    COMMON, CURATION, RESAMPLING, SEMI, Count, Dims, NonNegative, Positive, Unit,
)
from ..datamaps import DataMapCurator
from ..engines.conditioning import TableConditioning
from ..engines.gan_tabular import TableGANEngine
from ..nets.gan import TabularGenerator


class TabularGAN(BaseAugmenter):
    """Conditional GAN for tables (WGAN-GP, packing, training-by-sampling).

    The generator sees noise plus a condition vector: the label one-hot (for
    a model fitted with ``y``) and one discrete column's category, chosen by
    CTGAN's training-by-sampling so rare categories are learned. A packed
    critic (``pac`` rows per input) is trained with the Wasserstein loss and
    a gradient penalty. Same data, containers and contract as
    :class:`~synthaug.TabularVAE`.

    Parameters
    ----------
    epochs : int, default=75
        Passes over the data; an epoch is ``ceil(n_rows / batch)`` steps (one
        critic and one generator update each): at most four on a small
        table. With the label loss, 75 epochs scored about as well on the
        tabular benchmark as 300 (+0.15 vs +0.21 points mean, 7 vs 9 cells
        below -0.5) in a quarter of the time; 50 fell to -0.13. Without the
        label loss the GAN needed the full 300. All defaults together: +0.18
        (run ``gan_fast`` in ``benchmarks/results/tabular.md``).
    batch_size : int or None, default=None
        Rows per step, capped at the number of rows and rounded up to a
        multiple of ``pac`` (rows are drawn with replacement, by
        training-by-sampling). None means ``n_rows / 4`` up to 500: small
        tables then get at most four steps per epoch (300 at the default
        epochs), and large ones CTGAN's batch of 500.
    hidden_dims : tuple of int, default=(128, 128)
        Widths of the generator's dense blocks.
    discriminator_dims : tuple of int, default=(128, 128)
        Widths of the critic's hidden layers.
    latent_dim : int, default=32
        Width of the generator's noise vector.
    learning_rate : float, default=1e-3
        Adam step size of both networks (betas 0.5, 0.9).
    weight_decay : float, default=1e-6
    pac : int, default=5
        Rows packed into one critic input (PacGAN): the critic judges sets of
        rows, so a generator that collapses onto few modes is caught.
    discriminator_steps : int, default=1
        Critic updates per generator update.
    gradient_penalty : float, default=10.0
        Weight of the WGAN-GP gradient penalty.
    label_loss : float >= 0, default=1.0
        Weight of the auxiliary label term (CTAB-GAN, Zhao et al. 2021): a
        small classifier learns the label from real rows, and the generator
        pays its cross-entropy when a generated row does not look like the
        class it was asked for. The critic alone barely enforces the label
        on a few rows per class; on the tabular benchmark this term moved
        TabularGAN's mean downstream change from -0.92 to +0.21 points
        (``benchmarks/results/tabular.md``). 0 turns it off; unused without labels.
    temperature : float > 0, default=0.7
        Scale of the generator's noise vector when sampling, the truncation
        trick (Brock et al. 2019): below 1, rows stay nearer the modes the
        generator learned. On the tabular benchmark 0.7 raised TabularGAN's
        mean downstream change from -1.20 (1.0) to -0.92 points
        (``benchmarks/results/tabular.md``); 1.0 samples the trained generator as is.
    ema_decay : float in [0, 1), default=0.99
        Decay of the exponential moving average of the generator's weights;
        the average, steadier than the last step's weights, is what samples.
        0 keeps the last step.
    curate, overgenerate, min_confidence : default=False, 3.0, 0.5
        Curation of the sampled rows, as for :class:`~synthaug.TabularVAE`.
    sampling_strategy : float, str, dict or callable, default="auto"
        How many rows ``fit_resample`` adds per class (imbalanced-learn's meanings).
    synthetic_ratio : float or None, default=None
        When set, ``fit_resample`` adds ``round(synthetic_ratio * n_c)`` rows per class.
    pseudo_labels : "soft", "spread", float in [0, 1] or None, default="soft"
        How unlabelled rows (see Notes) are labelled for training, as for
        :class:`~synthaug.TabularVAE` (class probabilities from a logistic
        regression or from label spreading, hard labels above a threshold,
        or "label unknown").
    sample_batch_size, device, random_state : as for :class:`~synthaug.TabularVAE`
    verbose : bool, default=False
        Show a progress bar with the current losses.

    Attributes
    ----------
    classes_, class_counts_, n_features_in_, feature_names_in_, device_
        As for :class:`~synthaug.TabularVAE`.
    history_ : dict of lists, one value per epoch
        ``generator`` (adversarial + condition loss), ``discriminator``
        (critic loss with penalty), ``condition`` (cross-entropy between the
        generated and the requested category) and ``wasserstein`` (the
        critic's estimate of the distance between real and generated rows).
    codec_ : the fitted :class:`synthaug.codecs.tabular.TabularCodec`
    engine_ : the fitted :class:`synthaug.engines.gan_tabular.TableGANEngine`
    net_ : the fitted :class:`synthaug.nets.gan.TabularGenerator` (``engine_.net``;
        the critic and the label classifier are discarded after fit:
        sampling does not need them).

    Notes
    -----
    ``sample(..., conditions={column: value})`` fixes a categorical or
    boolean column: the condition vector asks the generator for that
    category (so the rest of the row follows it), and the column's one-hot
    block is then set to it, which guarantees the value even where the
    generator would have missed; no row is ever rejected.

    Unlabelled rows: ``fit(X, y)`` takes rows marked unlabelled in ``y``,
    scikit-learn's semi-supervised convention: -1 for numeric labels, None
    (or NaN, pd.NA) for string labels. They train the networks with an
    all-zero label part of the condition vector ("label unknown"), so the
    model learns the data's distribution from every row and the classes
    from the labelled ones (see ``pseudo_labels``). At least two
    labelled classes of two rows each are required; ``sample`` returns
    labelled rows only, in the labelled rows' class proportions by default;
    ``n_unlabelled_`` counts the unlabelled rows. ``fit_resample`` refuses
    unlabelled rows.

    A fit whose losses become NaN or infinite stops with a
    ``FloatingPointError`` and leaves the estimator unfitted.
    """

    accepts_unlabelled = True
    _codec_class = TabularCodec
    _curation_params = ("overgenerate", "min_confidence")
    _parameter_constraints = {
        "epochs": [Count()], "batch_size": [Count(), None], "hidden_dims": [Dims()],
        "discriminator_dims": [Dims()], "latent_dim": [Count()], "learning_rate": [Positive()],
        "weight_decay": [NonNegative()], "pac": [Count()], "discriminator_steps": [Count()],
        "gradient_penalty": [NonNegative()], "label_loss": [NonNegative()],
        "temperature": [Positive()], "ema_decay": [Unit("left")], **CURATION, **RESAMPLING,
        **SEMI, **COMMON,
    }

    def __init__(
        self,
        *,
        epochs=75,
        batch_size=None,
        hidden_dims=(128, 128),
        discriminator_dims=(128, 128),
        latent_dim=32,
        learning_rate=1e-3,
        weight_decay=1e-6,
        pac=5,
        discriminator_steps=1,
        gradient_penalty=10.0,
        label_loss=1.0,
        temperature=0.7,
        ema_decay=0.99,
        curate=False,
        overgenerate=3.0,
        min_confidence=0.5,
        sampling_strategy="auto",
        synthetic_ratio=None,
        pseudo_labels="soft",
        sample_batch_size=None,
        device="auto",
        random_state=None,
        verbose=False,
    ):
        self.epochs = epochs
        self.batch_size = batch_size
        self.hidden_dims = hidden_dims
        self.discriminator_dims = discriminator_dims
        self.latent_dim = latent_dim
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.pac = pac
        self.discriminator_steps = discriminator_steps
        self.gradient_penalty = gradient_penalty
        self.label_loss = label_loss
        self.temperature = temperature
        self.ema_decay = ema_decay
        self.curate = curate
        self.overgenerate = overgenerate
        self.min_confidence = min_confidence
        self.sampling_strategy = sampling_strategy
        self.synthetic_ratio = synthetic_ratio
        self.pseudo_labels = pseudo_labels
        self.sample_batch_size = sample_batch_size
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _make_parts(self) -> Parts:
        net = partial(generator_net, hidden_dims=tuple(self.hidden_dims),
                      latent_dim=self.latent_dim)
        engine = TableGANEngine(
            net, TableConditioning, epochs=self.epochs, batch_size=self.batch_size,
            learning_rate=self.learning_rate, ema_decay=self.ema_decay,
            discriminator_dims=self.discriminator_dims, pac=self.pac,
            discriminator_steps=self.discriminator_steps,
            gradient_penalty=self.gradient_penalty, label_loss=self.label_loss,
            weight_decay=self.weight_decay,
        )
        return Parts(TabularCodec(), engine, DataMapCurator())


def generator_net(layout, conditioning, hidden_dims, latent_dim) -> TabularGenerator:
    """The generator for a codec layout (spans) and condition vector."""
    return TabularGenerator(layout, conditioning.dim, hidden_dims, latent_dim)
