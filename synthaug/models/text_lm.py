"""TextLM: a class-conditional language model for short labelled texts."""
from __future__ import annotations

from numbers import Integral

from sklearn.utils._param_validation import validate_parameter_constraints

from ..codecs.text import TextCodec
from ..core.estimator import BaseAugmenter, Parts
from ..core.params import (
    COMMON, CURATION, RESAMPLING, Count, NonNegative, Number, Positive, Unit,
)
from ..engines.lm import LMEngine
from ..text_filter import TextCurator


class TextLM(BaseAugmenter):
    """Class-conditional causal language model for labelled short texts.

    A small transformer trained from scratch on your texts, with a byte-level
    BPE vocabulary learned from them (:mod:`synthaug.codecs.bpe`); each text
    is prefixed by a token of its label, so ``sample(y=label)`` writes texts
    of that class. Optionally fine-tunes a local Hugging Face model instead.

    Parameters
    ----------
    vocab_size : int >= 256, default=512
        Bytes plus learned merges (fewer when the corpus is small).
    context_length : int, default=128
        Longest text learned and generated, in tokens (the end token
        included). Longer texts are truncated with a warning.
    width, n_layers, n_heads : int, default=128, 2, 4
        Transformer width (``d_model``; a multiple of ``n_heads``), depth and
        attention heads.
    dropout : float in [0, 1), default=0.1
    max_steps : int, default=600
        Most gradient steps of training.
    epochs : int or None, default=None
        When set, training also stops after this many passes over the texts.
    validation_fraction : float in [0, 1) or None, default=0.1
        Share of each class's texts held out to stop training when their loss
        stops improving; the weights with the lowest held-out loss are kept.
        On a few dozen texts a language model soon memorises them, and then
        it only writes copies. None or 0 trains on every text for the full
        budget. The held-out texts still count for curation.
    n_iter_no_change : int, default=5
        Held-out measurements (one per epoch, at least 10 steps apart)
        without improvement before training stops.
    batch_size : int, default=32
    learning_rate : float, default=3e-3
        Peak AdamW rate (linear warm-up, cosine decay).
    weight_decay : float, default=0.01
    temperature : float >= 0, default=1.0
        Default sampling temperature (0 is greedy).
    top_p : float in (0, 1], default=0.95
        Default nucleus mass.
    curate : bool, default=False
        Whether ``sample`` (and so ``fit_resample``) curates by default:
        over-generate ``overgenerate`` times, drop copies and near copies of
        training texts and repeats, drop texts a TF-IDF + logistic
        regression judge trained on the real texts assigns to another label,
        keep the most confident (LAMBADA, Anaby-Tavor et al. 2020). Fewer
        texts than asked may come back (with a warning) when too few pass;
        ``sample_report_`` says how many were dropped and why. Curation runs
        on each ``sample_batch_size`` of requested texts in turn (repeats
        are caught within one).
    overgenerate : float >= 1, default=3.0
        Texts drawn per text wanted when curating.
    min_confidence : float in [0, 1) or None, default=None
        With ``curate``, also drop texts whose judged probability of their
        label is below this. None keeps every text the judge assigns to the
        intended label (most confident first).
    duplicate_threshold : float in (0, 1], default=0.7
        With ``curate``, texts whose character 4-gram Jaccard similarity to a
        training text reaches this are dropped as near copies.
    pretrained : str or None, default=None
        Path to a local Hugging Face causal LM directory. When set (and the
        optional ``transformers`` package is installed), that model and its
        tokenizer are fine-tuned instead; the size parameters above are unused.
    sampling_strategy, synthetic_ratio :
        How many texts ``fit_resample`` adds per class (as in TabularVAE).
    sample_batch_size : int or None, default=None
        Texts generated per device call (it bounds the attention cache);
        None means 1,024. Each call draws from its own random stream, so a
        different value gives different texts.
    device : "auto", "cpu", "cuda" or torch.device, default="auto"
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False
        Progress bar over training steps with the current loss.

    Notes
    -----
    ``sample`` takes, besides the common arguments, ``top_p`` and ``curate``
    (None: the estimator's) and ``max_length`` (most tokens generated per
    text, end token included, at most ``context_length``; a text that
    reaches it is cut). Texts come back in the training container (a list
    for a list, a Series for a Series...); labels as a numpy array.
    ``sample_to_file`` writes ``.txt`` (one text per line), ``.jsonl`` or
    ``.csv``.

    Attributes
    ----------
    classes_, class_counts_ : labels seen in fit and their counts
    codec_ : the fitted :class:`~synthaug.codecs.text.TextCodec` (its
        ``tokenizer_`` is the BPE or the Hugging Face tokenizer)
    engine_ : the fitted :class:`~synthaug.engines.lm.LMEngine`
    curator_ : :class:`~synthaug.text_filter.TextCurator`, holding the
        training texts as learned (``texts_``, truncated ones cut) for the
        copy check and the judge; they are saved with the model
    net_ : the fitted network (``engine_.net``)
    device_ : torch.device
    history_ : dict with the per-epoch mean training ``loss``, the held-out
        ``val_loss`` per measurement, the gradient ``steps`` taken and the
        ``best_step`` whose weights were kept
    n_truncated_ : number of training texts cut to ``context_length``
    sample_report_ : dict describing the last ``sample`` call: texts
        ``requested``, ``generated``, ``returned``, ``unterminated`` (returned
        texts cut by ``max_length``) and, when curating,
        ``dropped_duplicate``, ``dropped_label``, ``dropped_confidence``,
        ``dropped_surplus``, ``rounds``
    """

    _codec_class = TextCodec
    _curation_params = ("overgenerate", "min_confidence", "duplicate_threshold")
    _parameter_constraints = {
        "vocab_size": [Count(256)], "context_length": [Count()], "width": [Count()],
        "n_layers": [Count()], "n_heads": [Count()], "dropout": [Unit("left")],
        "max_steps": [Count()], "epochs": [Count(), None],
        "validation_fraction": [Unit("left"), None], "n_iter_no_change": [Count()],
        "batch_size": [Count()], "learning_rate": [Positive()], "weight_decay": [NonNegative()],
        "temperature": [NonNegative()], "top_p": [Unit("right")], **CURATION,
        "duplicate_threshold": [Unit("right")], "pretrained": [str, None], **RESAMPLING,
        **COMMON,
    }

    def __init__(
        self, *, vocab_size=512, context_length=128, width=128, n_layers=2, n_heads=4,
        dropout=0.1, max_steps=600, epochs=None, validation_fraction=0.1, n_iter_no_change=5,
        batch_size=32, learning_rate=3e-3, weight_decay=0.01, temperature=1.0, top_p=0.95,
        curate=False, overgenerate=3.0, min_confidence=None, duplicate_threshold=0.7,
        pretrained=None, sampling_strategy="auto", synthetic_ratio=None,
        sample_batch_size=None, device="auto", random_state=None, verbose=False,
    ):
        self.vocab_size = vocab_size
        self.context_length = context_length
        self.width = width
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.max_steps = max_steps
        self.epochs = epochs
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.temperature = temperature
        self.top_p = top_p
        self.curate = curate
        self.overgenerate = overgenerate
        self.min_confidence = min_confidence
        self.duplicate_threshold = duplicate_threshold
        self.pretrained = pretrained
        self.sampling_strategy = sampling_strategy
        self.synthetic_ratio = synthetic_ratio
        self.sample_batch_size = sample_batch_size
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _check_params(self) -> None:
        if self.width % self.n_heads:
            raise ValueError(
                f"width={self.width} must be a multiple of n_heads={self.n_heads}."
            )

    def _make_parts(self) -> Parts:
        training = dict(
            width=self.width, n_layers=self.n_layers, n_heads=self.n_heads,
            dropout=self.dropout, context_length=self.context_length, max_steps=self.max_steps,
            epochs=self.epochs, validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change, batch_size=self.batch_size,
            learning_rate=self.learning_rate, weight_decay=self.weight_decay,
        )
        if self.pretrained is None:
            codec, engine = TextCodec(self.vocab_size, self.context_length), LMEngine(**training)
        else:  # transformers is imported only on this path
            from ..codecs.text_hf import HFTextCodec
            from ..engines.lm_hf import HFLMEngine

            codec = HFTextCodec(self.pretrained, self.context_length)
            engine = HFLMEngine(self.pretrained, **training)
        return Parts(codec, engine, TextCurator(codec))

    def _sampling_options(self, options: dict) -> dict:
        """``top_p``, ``max_length`` and ``curate`` of one ``sample`` call."""
        unknown = set(options) - {"top_p", "max_length", "curate"}
        if unknown:
            raise TypeError(
                f"TextLM.sample() got unexpected keyword argument(s) {sorted(unknown)}; "
                "it takes top_p, max_length and curate."
            )
        given = {k: v for k, v in options.items() if v is not None and k != "curate"}
        validate_parameter_constraints(
            {"top_p": self._parameter_constraints["top_p"],
             "max_length": [Number(Integral, 1, self.context_length, closed="both")]},
            given, caller_name="TextLM.sample")
        return {
            "top_p": float(given.get("top_p", self.top_p)),
            "max_length": int(given.get("max_length", self.context_length)),
            **self._curation_options(options.get("curate")),
        }
