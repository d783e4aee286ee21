"""TabularGAN: a conditional Wasserstein GAN for mixed-type tables."""
from __future__ import annotations

import copy
import math

import numpy as np
import torch
from tqdm.auto import tqdm

from .._validation import check_positive
from ..base import BaseAugmenter, seeded_init
from ..nets.conditioning import TrainingSampler
from ..nets.gan import LabelClassifier, PackedCritic, TabularGenerator, critic_loss, label_loss
from ..nets.noise import StreamNoise
from ._tabular import TabularMixin, check_pseudo_labels

ADAM_BETAS = (0.5, 0.9)  # the WGAN-GP paper's choice, also CTGAN's
# The label classifier's weight decay. It sees the same few real rows at
# every step, so without a strong decay it memorises them: where the label
# says little about the row it then pushes generated rows towards memorised
# rows of the requested class and fights the condition vector (a test fixture
# with a label independent of the features lost its column conditioning in 3
# of 8 seeds at 1e-6, none at 1e-2). On the tabular benchmark 1e-2 scored +0.22
# points against +0.15 at 1e-6 (run exp_wd, benchmarks/RESULTS.md).
CLASSIFIER_WEIGHT_DECAY = 1e-2


class TabularGAN(TabularMixin, BaseAugmenter):
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
        (run ``gan_fast`` in ``benchmarks/RESULTS.md``).
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
        (``benchmarks/RESULTS.md``). 0 turns it off; unused without labels.
    temperature : float > 0, default=0.7
        Scale of the generator's noise vector when sampling, the truncation
        trick (Brock et al. 2019): below 1, rows stay nearer the modes the
        generator learned. On the tabular benchmark 0.7 raised TabularGAN's
        mean downstream change from -1.20 (1.0) to -0.92 points
        (``benchmarks/RESULTS.md``); 1.0 samples the trained generator as is.
    ema_decay : float in [0, 1), default=0.99
        Decay of the exponential moving average of the generator's weights;
        the average, steadier than the last step's weights, is what samples.
        0 keeps the last step.
    sampling_strategy : float, str, dict or callable, default="auto"
        How many rows ``fit_resample`` adds per class (imbalanced-learn's meanings).
    synthetic_ratio : float or None, default=None
        When set, ``fit_resample`` adds ``round(synthetic_ratio * n_c)`` rows per class.
    pseudo_labels : "soft", "spread", float in [0, 1] or None, default="soft"
        How unlabelled rows (see Notes) are labelled for training, as for
        :class:`~synthaug.TabularVAE` (class probabilities from a logistic
        regression or from label spreading, hard labels above a threshold,
        or "label unknown").
    device : "auto", "cpu", "cuda" or torch.device, default="auto"
    random_state : int, RandomState or None, default=None
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
    net_ : the fitted :class:`synthaug.nets.gan.TabularGenerator` (the critic
        and the label classifier are discarded after fit: sampling does not
        need them).

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
        sampling_strategy="auto",
        synthetic_ratio=None,
        pseudo_labels="soft",
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
        self.sampling_strategy = sampling_strategy
        self.synthetic_ratio = synthetic_ratio
        self.pseudo_labels = pseudo_labels
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _validate_params(self) -> None:
        for name in ("epochs", "latent_dim", "pac", "discriminator_steps"):
            check_positive(getattr(self, name), name, integer=True)
        if self.batch_size is not None:
            check_positive(self.batch_size, "batch_size", integer=True)
        check_positive(self.ema_decay, "ema_decay", allow_zero=True)
        if self.ema_decay >= 1:
            raise ValueError(f"ema_decay must be in [0, 1); got {self.ema_decay!r}.")
        check_positive(self.learning_rate, "learning_rate")
        check_positive(self.weight_decay, "weight_decay", allow_zero=True)
        check_positive(self.gradient_penalty, "gradient_penalty", allow_zero=True)
        check_positive(self.temperature, "temperature")
        check_positive(self.label_loss, "label_loss", allow_zero=True)
        if self.synthetic_ratio is not None:
            check_positive(self.synthetic_ratio, "synthetic_ratio")
        check_pseudo_labels(self.pseudo_labels)
        for name in ("hidden_dims", "discriminator_dims"):
            dims = getattr(self, name)
            if not isinstance(dims, (tuple, list)) or not dims:
                raise TypeError(f"{name} must be a non-empty tuple of ints; got {dims!r}.")
            for d in dims:
                check_positive(d, f"{name} entries", integer=True)

    def _build_generator(self) -> TabularGenerator:
        spans = [(s.width, s.activation) for s in self.codec_.spans]
        return TabularGenerator(
            spans, self.conditioner_.dim, tuple(self.hidden_dims), self.latent_dim
        )

    def _build_nets(self):
        row_dim = self.codec_.width + self.conditioner_.dim
        critic = PackedCritic(row_dim, tuple(self.discriminator_dims), self.pac)
        classifier = None
        if self.conditional_ and self.label_loss > 0:
            classifier = LabelClassifier(self.codec_.width, len(self.classes_))
        return self._build_generator(), critic, classifier

    def _fit(self, M: np.ndarray, y_idx, seed: int) -> None:
        dev = self.device_
        y_idx, labels = self._training_labels(M, y_idx)
        X = torch.as_tensor(M, dtype=torch.float32, device=dev)
        y = None if y_idx is None else torch.as_tensor(y_idx, device=dev)
        self.conditioner_ = self._build_conditioner(X, y)
        y = None if labels is None else torch.as_tensor(labels, device=dev)
        G, D, C = (net if net is None else net.to(dev).train()
                   for net in seeded_init(seed, self._build_nets))
        ema = copy.deepcopy(G).requires_grad_(False)
        run = _Run(G, D, ema, self.learning_rate, self.weight_decay, C)
        gen = torch.Generator(device=dev).manual_seed(seed)
        sampler = TrainingSampler(self.conditioner_, X)
        bs = self._batch_rows(len(X))
        steps = -(-len(X) // bs)
        self.history_ = {"generator": [], "discriminator": [], "condition": [], "wasserstein": []}
        bar = tqdm(range(self.epochs), disable=not self.verbose, desc="TabularGAN", unit="epoch")
        for epoch in bar:
            sums = torch.zeros(4, device=dev)
            for _ in range(steps):
                sums += self._step(run, X, y, sampler, bs, gen)
                # warm-up: early weights are noise, so average over fewer steps at first
                run.update_average(min(float(self.ema_decay), (1 + run.steps) / (10 + run.steps)))
            means = (sums / steps).tolist()  # one host sync per epoch, not per step
            self._check_finite(means, epoch)
            for key, value in zip(self.history_, means):
                self.history_[key].append(value)
            bar.set_postfix(g_loss=f"{means[0]:.3f}", d_loss=f"{means[1]:.3f}")
        if not all(torch.isfinite(p).all() for p in run.ema_params):
            self._check_finite([math.nan], self.epochs - 1)
        self.net_ = ema.eval()

    def _batch_rows(self, n: int) -> int:
        wanted = min(500, -(-n // 4)) if self.batch_size is None else self.batch_size
        # a multiple of pac, since the critic scores packs of pac rows; rounded
        # up, so a small table gets at most the four steps per epoch promised
        # (rounding 30 rows / 4 down to 5 made six, half again the fit time)
        return self.pac * -(-min(wanted, n) // self.pac)

    def _batch(self, X, y, sampler, bs, gen):
        rows, pos = sampler.batch(bs, gen)
        cond = self.conditioner_.vector(None if y is None else y[rows], pos, bs, X.device)
        return X[rows], cond, pos

    def _step(self, run: "_Run", X, y, sampler, bs, gen) -> torch.Tensor:
        """Critic update(s) then one generator update; returns the detached
        generator, critic, condition losses and the Wasserstein estimate.

        The label classifier learns from the critic's real rows in the same
        backward pass and optimiser step as the critic (their losses share
        no parameters, so the sum trains each as its own step would)."""
        G, D = run.G, run.D
        n_classes = len(self.classes_) if run.C is not None else 0
        run.trainable(run.d_params, True)
        for _ in range(self.discriminator_steps):
            real, cond, _ = self._batch(X, y, sampler, bs, gen)
            noise = StreamNoise(gen, bs, X.device)
            with torch.no_grad():
                fake = G.activate(G(noise.normal(G.latent_dim), cond), noise)
            loss_d, wasserstein = critic_loss(
                D, torch.cat([real, cond], 1), torch.cat([fake, cond], 1), gen,
                self.gradient_penalty,
            )
            loss = loss_d
            if run.C is not None:
                loss = loss + label_loss(run.C(real), cond[:, :n_classes])
            run.opt_d.zero_grad(set_to_none=True)
            loss.backward()
            run.opt_d.step()
        run.trainable(run.d_params, False)  # the generator step needs no critic gradients
        _, cond, pos = self._batch(X, y, sampler, bs, gen)
        noise = StreamNoise(gen, bs, X.device)
        raw = G(noise.normal(G.latent_dim), cond)
        fake = G.activate(raw, noise)
        cond_loss = (
            self.conditioner_.condition_loss(raw, pos) if pos is not None else raw.new_zeros(())
        )
        loss_g = -D(torch.cat([fake, cond], 1)).mean() + cond_loss
        if run.C is not None:
            loss_g = loss_g + self.label_loss * label_loss(run.C(fake), cond[:, :n_classes])
        run.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        run.opt_g.step()
        return torch.stack([loss_g.detach(), loss_d.detach(), cond_loss.detach(), wasserstein])

    def _check_finite(self, means, epoch: int) -> None:
        if all(math.isfinite(v) for v in means):
            return
        raise FloatingPointError(
            f"TabularGAN training diverged at epoch {epoch + 1} (non-finite loss or "
            f"weights). The usual cause is a learning_rate too high for this data "
            f"(it is {self.learning_rate!r}; the default is 1e-3); lower it, for "
            "example to CTGAN's 2e-4, or raise gradient_penalty. The estimator was "
            "left unfitted."
        )

    def _build_sampling_net(self):
        return self._build_generator()


class _Run:
    """The nets, optimisers and weight average of one fit (parameter lists
    cached: rebuilding them every step costs more than the step on tiny nets).

    One optimiser trains the critic and the label classifier together (a
    parameter group each, the classifier with its own weight decay), so a
    critic step is one backward pass and one optimiser call."""

    def __init__(self, G, D, ema, lr: float, weight_decay: float, C=None):
        self.G, self.D, self.C, self.steps = G, D, C, 0
        self.g_params = list(G.parameters())
        groups = [{"params": list(D.parameters())}]
        if C is not None:
            groups.append({"params": list(C.parameters()), "weight_decay": CLASSIFIER_WEIGHT_DECAY})
        # critic and classifier: the parameters the generator step leaves alone
        self.d_params = [p for g in groups for p in g["params"]]
        self.ema_params = list(ema.parameters())
        self.opt_g = _adam([{"params": self.g_params}], lr, weight_decay)
        self.opt_d = _adam(groups, lr, weight_decay)

    @staticmethod
    def trainable(params: list, flag: bool) -> None:
        """Switch gradients of parameters (the generator step needs none for
        the critic or the label classifier)."""
        for p in params:
            p.requires_grad_(flag)

    @torch.no_grad()
    def update_average(self, decay: float) -> None:
        self.steps += 1
        torch._foreach_lerp_(self.ema_params, self.g_params, 1.0 - decay)


def _adam(groups: list, lr: float, weight_decay: float) -> torch.optim.Adam:
    """Adam with one fused kernel per step where torch has one for the
    device (CPU and CUDA): on these small nets the optimiser's many small
    ops cost about a tenth of the fit; the fused update is the same rule."""
    device = groups[0]["params"][0].device
    options = dict(lr=lr, betas=ADAM_BETAS, weight_decay=weight_decay)
    if device.type in ("cpu", "cuda"):
        try:
            return torch.optim.Adam(groups, fused=True, **options)
        except RuntimeError:  # a torch build without the fused kernel here
            pass
    return torch.optim.Adam(groups, foreach=True, **options)
