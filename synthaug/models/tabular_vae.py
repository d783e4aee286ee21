"""TabularVAE: a class-conditional VAE for mixed-type tables."""
from __future__ import annotations

from functools import partial

from ..codecs.tabular import TabularCodec
from ..core.estimator import BaseAugmenter, Parts
from ..core.params import (
    COMMON, CURATION, RESAMPLING, Count, Dims, NonNegative, Positive, StrOptions, Unit,
)
from ..datamaps import DataMapCurator
from ..engines.conditioning import TableConditioning
from ..engines.vae import VAEEngine
from ..engines.vae_m2 import M2VAEEngine
from ..nets.mlp import ConditionalVAE


class TabularVAE(BaseAugmenter):
    """Class-conditional variational autoencoder for tables.

    Fits on numpy arrays or pandas DataFrames with continuous, integer,
    boolean and categorical columns and missing values; samples come back in
    the same container, column names, dtypes and categories.

    Parameters
    ----------
    epochs : int, default=300
        Passes over the training data.
    batch_size : int, default=256
        Rows per gradient step (capped at the number of rows).
    hidden_dims : tuple of int, default=(128, 128)
        Widths of the encoder's hidden layers (the decoder mirrors them).
    latent_dim : int, default=16
    learning_rate : float, default=1e-3
    weight_decay : float, default=1e-5
    beta : float, default=1.0
        Weight of the KL term; lower values trade diversity for fidelity.
    temperature : float > 0, default=0.7
        Scale of the sampling noise: the latent draw and the Gaussian
        likelihood's noise are multiplied by it (categories are still drawn
        from the decoder's probabilities). Below 1, rows stay nearer the
        class's typical rows, the truncation trick of BigGAN (Brock et al.
        2019). On the tabular benchmark 0.7 raised the mean downstream gain
        over 48 cells from +0.05 (1.0) to +0.32 points and halved the cells
        losing more than 0.5 (``benchmarks/results/tabular.md``); 1.0 samples the
        fitted distribution itself.
    curate : bool, default=False
        Whether ``sample`` (and so ``fit_resample``) curates by default
        (``sample(curate=...)`` decides per call): draw ``overgenerate``
        rows per row wanted and keep, per class, those a small classifier
        trained on the real rows learns confidently and consistently as
        their label, judged over the checkpoints of its training (data maps,
        Swayamdipta et al. 2020; CLLM's curation, Seedat et al. 2024): rows
        whose mean probability of their label is below ``min_confidence``
        are dropped, the rest ranked by that confidence minus its aleatoric
        uncertainty (see :mod:`synthaug.datamaps`). Needs labels. Fewer rows
        than asked may come back (with a warning) when too few pass;
        ``sample_report_`` counts what was dropped and why.
    overgenerate : float >= 1, default=3.0
        Rows drawn per row wanted when curating.
    min_confidence : float in [0, 1) or None, default=0.5
        With ``curate``: the lowest mean probability of its label a kept row
        may have (None keeps every row, best first).
    sampling_strategy : float, str, dict or callable, default="auto"
        How many rows ``fit_resample`` adds per class, with imbalanced-learn's
        meanings (see :mod:`synthaug.sampling`).
    synthetic_ratio : float or None, default=None
        When set, ``fit_resample`` instead adds ``round(synthetic_ratio * n_c)``
        rows to every class ``c``: the way to enlarge balanced data.
    pseudo_labels : "soft", "spread", "m2", float in [0, 1] or None, default="soft"
        How unlabelled rows (see Notes) are labelled for training. "soft":
        a logistic regression fitted on the labelled rows' encoding scores
        the unlabelled ones, and its class probabilities are the label part
        of their condition. "spread": the probabilities come from label
        spreading over a 10-nearest-neighbour graph of all rows (Zhou et al.
        2004), which follows clusters that the unlabelled rows reveal and a
        linear model cannot see. A float ``t``: the regression's rows whose
        top probability is >= ``t`` train as that class (hard
        pseudo-labels), the others with an all-zero label part ("label
        unknown"). None: every unlabelled row is "label unknown". "m2": the
        semi-supervised VAE of Kingma et al. (2014): a classifier q(y|x) is
        trained jointly with the VAE, and each unlabelled row trains the VAE
        under every label, weighted by q (:mod:`synthaug.engines.vae_m2`;
        the history gains ``classifier``). Either way
        ``classes_``, ``class_counts_`` and the sampling frequencies come
        from the labelled rows only. On the unlabelled-data benchmark
        (``benchmarks/results/semi.md``) "soft" hurt least; "spread" labels
        the pool more accurately on clustered data but its generated rows
        were no more useful downstream.
    sample_batch_size : int or None, default=None
        Rows generated per device call when sampling: it bounds memory and
        sets how the work is batched. None picks 16,384 on a CPU and 65,536
        on a GPU (``sample_batch_size_`` says which). Samples are the same
        for any ``sample_to_file`` chunking at a given value; another value
        may change the last bits of real-valued columns.
    device : "auto", "cpu", "cuda" or torch.device, default="auto"
        Resolved in ``fit``; "auto" picks CUDA when present.
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False
        Show a progress bar with the current loss.

    Attributes
    ----------
    classes_, class_counts_ : labels seen in fit and their counts
    n_features_in_, feature_names_in_ : input columns
    device_ : torch.device the networks live on
    history_ : dict of per-epoch mean ``loss``, ``reconstruction`` and ``kl``
    codec_ : the fitted :class:`synthaug.codecs.tabular.TabularCodec`
    engine_ : the fitted :class:`synthaug.engines.vae.VAEEngine`
    net_ : the fitted :class:`synthaug.nets.mlp.ConditionalVAE` (``engine_.net``)
    n_unlabelled_, n_pseudo_labelled_ : unlabelled rows in fit, and how many
        of them ``pseudo_labels`` gave a class or probabilities

    Notes
    -----
    Encoder and decoder see a condition vector: the label one-hot and one
    discrete column's category, the same mechanism as
    :class:`~synthaug.TabularGAN`. With discrete columns, training batches
    come from training-by-sampling (a column uniformly, a category by log
    frequency, then a real row that has it), so rare categories are learned;
    sampling draws the condition from the training frequencies, which keeps
    the data's proportions.

    ``sample(..., conditions={column: value})`` fixes a categorical or
    boolean column: the decoder is conditioned on that category, so the rest
    of the row follows it, and the column's one-hot block of the decoder
    output is then set to the requested category before decoding. That
    overwrite is what guarantees the value (a VAE decoder may put some mass
    on other categories); it is not reject sampling, as no row is dropped.

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
    """

    accepts_unlabelled = True
    _codec_class = TabularCodec
    _curation_params = ("overgenerate", "min_confidence")
    _parameter_constraints = {
        "epochs": [Count()], "batch_size": [Count()], "hidden_dims": [Dims()],
        "latent_dim": [Count()], "learning_rate": [Positive()], "weight_decay": [NonNegative()],
        "beta": [NonNegative()], "temperature": [Positive()], **CURATION, **RESAMPLING,
        "pseudo_labels": [StrOptions({"soft", "spread", "m2"}), Unit("both"), None], **COMMON,
    }

    def __init__(
        self,
        *,
        epochs=300,
        batch_size=256,
        hidden_dims=(128, 128),
        latent_dim=16,
        learning_rate=1e-3,
        weight_decay=1e-5,
        beta=1.0,
        temperature=0.7,
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
        self.latent_dim = latent_dim
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.beta = beta
        self.temperature = temperature
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
        net = partial(vae_net, hidden_dims=tuple(self.hidden_dims), latent_dim=self.latent_dim)
        engine_class = M2VAEEngine if self.pseudo_labels == "m2" else VAEEngine
        engine = engine_class(net, TableConditioning, epochs=self.epochs,
                           batch_size=self.batch_size, learning_rate=self.learning_rate,
                           weight_decay=self.weight_decay, beta=self.beta)
        return Parts(TabularCodec(), engine, DataMapCurator())


def vae_net(layout, conditioning, hidden_dims, latent_dim) -> ConditionalVAE:
    """The VAE for a codec layout (spans) and condition vector."""
    return ConditionalVAE(layout, conditioning.dim, hidden_dims, latent_dim)
