"""TextLM: a class-conditional language model for short labelled texts."""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import torch

from .._validation import check_positive
from ..base import BaseAugmenter, seeded_init
from ..codecs.text import ByteBPETokenizer
from ..nets.transformer import CausalTransformer, generate
from ..text_filter import TextQualityFilter
from ._text import TextMixin, as_texts
from . import _text_train

# Characters kept per text before tokenising: far more than any context holds
# (a token is rarely longer than a word), and it bounds the tokenizer's work
# on a pathological multi-megabyte text.
_CHARS_PER_TOKEN_CAP = 16


class TextLM(TextMixin, BaseAugmenter):
    """Class-conditional causal language model for labelled short texts.

    A small transformer trained from scratch on your texts, with a byte-level
    BPE vocabulary learned from them (:mod:`synthaug.codecs.text`); each text
    is prefixed by a token of its label, so ``sample(y=label)`` writes texts
    of that class. Optionally fine-tunes a local Hugging Face model instead.

    Parameters
    ----------
    vocab_size : int >= 256, default=512
        Bytes plus learned merges (fewer when the corpus is small).
    context_length : int, default=128
        Longest text learned and generated, in tokens (the end token
        included). Longer texts are truncated with a warning.
    d_model, n_layers, n_heads : int, default=128, 2, 4
        Transformer width, depth and attention heads.
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
        budget. The held-out texts still count for the filter.
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
    filter : bool, default=False
        Whether ``sample`` (and so ``fit_resample``) filters by default: see
        :meth:`sample`.
    overgenerate : float >= 1, default=3.0
        Texts drawn per text wanted when filtering.
    min_confidence : float in [0, 1) or None, default=None
        With ``filter``, also drop texts whose judged probability of their
        label is below this. None keeps every text the judge assigns to the
        intended label (most confident first).
    duplicate_threshold : float in (0, 1], default=0.7
        With ``filter``, texts whose character 4-gram Jaccard similarity to a
        training text reaches this are dropped as near copies.
    pretrained : str or None, default=None
        Path to a local Hugging Face causal LM directory. When set (and the
        optional ``transformers`` package is installed), that model and its
        tokenizer are fine-tuned instead; the size parameters above are unused.
    sampling_strategy, synthetic_ratio :
        How many texts ``fit_resample`` adds per class (as in TabularVAE).
    device : "auto", "cpu", "cuda" or torch.device, default="auto"
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False
        Progress bar over training steps with the current loss.

    Attributes
    ----------
    classes_, class_counts_ : labels seen in fit and their counts
    tokenizer_ : :class:`~synthaug.codecs.text.ByteBPETokenizer` (or the
        Hugging Face tokenizer)
    net_ : the fitted network
    device_ : torch.device
    history_ : dict with the per-epoch mean training ``loss``, the held-out
        ``val_loss`` per measurement, the gradient ``steps`` taken and the
        ``best_step`` whose weights were kept
    n_truncated_ : number of training texts cut to ``context_length``
    seen_ids_ : bool array, the token ids the training texts use; only
        these are generated (native model)
    train_texts_ : the training texts as learned (truncated ones cut), kept
        for the duplicate filter; they are saved with the model
    sample_report_ : dict describing the last ``sample`` call: texts
        ``requested``, ``generated``, ``returned``, ``unterminated`` (cut by
        ``max_length``) and, when filtering, ``dropped_duplicate``,
        ``dropped_label``, ``dropped_confidence``, ``rounds``
    """

    _sample_chunk = 1024  # texts per generation batch: bounds the KV cache

    def __init__(
        self, *, vocab_size=512, context_length=128, d_model=128, n_layers=2, n_heads=4,
        dropout=0.1, max_steps=600, epochs=None, validation_fraction=0.1, n_iter_no_change=5,
        batch_size=32, learning_rate=3e-3,
        weight_decay=0.01, temperature=1.0, top_p=0.95, filter=False, overgenerate=3.0,
        min_confidence=None, duplicate_threshold=0.7, pretrained=None,
        sampling_strategy="auto", synthetic_ratio=None, device="auto", random_state=None,
        verbose=False,
    ):
        self.vocab_size = vocab_size
        self.context_length = context_length
        self.d_model = d_model
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
        self.filter = filter
        self.overgenerate = overgenerate
        self.min_confidence = min_confidence
        self.duplicate_threshold = duplicate_threshold
        self.pretrained = pretrained
        self.sampling_strategy = sampling_strategy
        self.synthetic_ratio = synthetic_ratio
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ---------------------------------------------------------- validation
    def _validate_params(self) -> None:
        for name in ("context_length", "d_model", "n_layers", "n_heads", "max_steps",
                     "batch_size", "n_iter_no_change"):
            check_positive(getattr(self, name), name, integer=True)
        check_positive(self.vocab_size, "vocab_size", integer=True)
        if self.vocab_size < 256:
            raise ValueError(f"vocab_size must be >= 256 (the bytes); got {self.vocab_size}.")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model={self.d_model} must be a multiple of n_heads={self.n_heads}."
            )
        if self.epochs is not None:
            check_positive(self.epochs, "epochs", integer=True)
        check_positive(self.learning_rate, "learning_rate")
        check_positive(self.weight_decay, "weight_decay", allow_zero=True)
        _check_unit(self.dropout, "dropout", low_open=False, high_open=True)
        if self.validation_fraction is not None:
            _check_unit(self.validation_fraction, "validation_fraction", low_open=False,
                        high_open=True)
        if self.synthetic_ratio is not None:
            check_positive(self.synthetic_ratio, "synthetic_ratio")
        self._check_sampling_params()
        if self.pretrained is not None and not isinstance(self.pretrained, str):
            raise TypeError(
                f"pretrained must be a directory path (str) or None; got {self.pretrained!r}."
            )

    def _check_sampling_params(self) -> None:
        check_positive(self.temperature, "temperature", allow_zero=True)
        _check_unit(self.top_p, "top_p", low_open=True, high_open=False)
        if not isinstance(self.filter, (bool, np.bool_)):
            raise TypeError(f"filter must be True or False; got {self.filter!r}.")
        check_positive(self.overgenerate, "overgenerate")
        if self.overgenerate < 1:
            raise ValueError(f"overgenerate must be >= 1; got {self.overgenerate}.")
        if self.min_confidence is not None:
            _check_unit(self.min_confidence, "min_confidence", low_open=False, high_open=True)
        _check_unit(self.duplicate_threshold, "duplicate_threshold", low_open=True,
                    high_open=False)

    # ------------------------------------------------------------------ fit
    def _encode_fit(self, X):
        texts = as_texts(X)
        cap = _CHARS_PER_TOKEN_CAP * self.context_length
        cut = [len(t) > cap for t in texts]
        texts = [t[:cap] for t in texts]
        if self.pretrained is not None:
            from ._hf import load_pretrained

            self.tokenizer_, self._hf_model = load_pretrained(self.pretrained)
            ids = [np.asarray(s, dtype=np.int64) for s in
                   self.tokenizer_(texts, add_special_tokens=False)["input_ids"]]
        else:
            self.tokenizer_ = ByteBPETokenizer(self.vocab_size)
            ids = self.tokenizer_.fit_encode(texts)
        eos, room = self._eos_id(), self.context_length
        seqs, truncated = [], 0
        for s, was_cut in zip(ids, cut):
            if was_cut or len(s) >= room:  # no room for the end token: it did not end here
                seqs.append(s[:room])
                truncated += 1
            else:
                seqs.append(np.r_[s, eos])
        self.n_truncated_ = truncated
        if truncated:
            warnings.warn(
                f"{truncated} of {len(texts)} texts in X are longer than "
                f"context_length={room} tokens; only their first tokens are learned "
                "(raise context_length to keep more).", UserWarning, stacklevel=3,
            )
        self.train_texts_ = self._decode_ids([s[s != eos] for s in seqs])
        self.__dict__.pop("seen_ids_", None)
        if self.pretrained is None:
            # Only ids the corpus uses may be generated: a byte the texts never
            # contain (a control character, a foreign script) is never right.
            self.seen_ids_ = np.zeros(self.tokenizer_.eos_id + 1, dtype=bool)
            self.seen_ids_[np.concatenate([*seqs, [eos]]).astype(np.int64)] = True
        return seqs

    def _fit(self, seqs, y_idx, seed: int) -> None:
        self.train_labels_ = None if y_idx is None else np.asarray(y_idx, dtype=np.int64)
        self._filter_cache = None
        self.__dict__.pop("sample_report_", None)
        n_classes = len(self.classes_) if self.conditional_ else 0
        if self.pretrained is not None:
            from ._hf import add_label_tokens

            self.label_ids_ = add_label_tokens(self.tokenizer_, self._hf_model, n_classes,
                                               seed, self.device_)
            self.net_ = self._hf_model.to(self.device_)
            del self._hf_model
        else:
            tok = self.tokenizer_
            self.label_ids_ = np.arange(tok.n_tokens, tok.n_tokens + n_classes)
            self.net_ = seeded_init(seed, lambda: self._build_net(n_classes)).to(self.device_)
        prefix = self._prefix_ids(y_idx, len(seqs))
        self.history_ = _text_train.train(self, seqs, prefix, seed)
        self.net_.eval()

    def _build_net(self, n_classes: int) -> CausalTransformer:
        return CausalTransformer(
            self.tokenizer_.n_tokens + n_classes, self.context_length, self.d_model,
            self.n_layers, self.n_heads, self.dropout,
        )

    def _eos_id(self) -> int:
        return self.tokenizer_.eos_token_id if self.pretrained else self.tokenizer_.eos_id

    def _prefix_ids(self, y_idx, n: int) -> np.ndarray:
        """The first token of each sequence: its label's token, or a start token."""
        if y_idx is not None and len(self.label_ids_):
            return self.label_ids_[np.asarray(y_idx)]
        tok = self.tokenizer_
        if not self.pretrained:
            start = tok.bos_id
        else:  # GPT-2 style tokenizers use their end token as the start token
            start = tok.eos_token_id if tok.bos_token_id is None else tok.bos_token_id
        return np.full(n, start, dtype=np.int64)

    def _decode_ids(self, seqs) -> list[str]:
        if self.pretrained:
            return self.tokenizer_.batch_decode([list(map(int, s)) for s in seqs],
                                                skip_special_tokens=True)
        return self.tokenizer_.decode(seqs)

    # --------------------------------------------------------------- sample
    def sample(self, n_samples=None, y=None, *, temperature=None, top_p=None,
               max_length=None, filter=None, random_state=None):
        """Write synthetic texts.

        Parameters
        ----------
        n_samples : int >= 1, or None when ``y`` is an array or a dict
        y : None, a label, an array of labels or a dict ``{label: count}``
            Only for a model fitted with labels; None follows the training
            class proportions.
        temperature : float >= 0 or None
            Softmax temperature (0 is greedy); None uses the estimator's.
        top_p : float in (0, 1] or None
            Nucleus sampling mass; None uses the estimator's.
        max_length : int or None
            Most tokens generated per text (end token included), at most
            ``context_length`` (the default). A text that reaches it is cut.
        filter : bool or None
            Over-generate ``overgenerate`` times, drop copies and near copies
            of training texts and repeats, drop texts a TF-IDF + logistic
            regression judge trained on the real texts assigns to another
            label, keep the most confident. None uses the estimator's
            ``filter``. Fewer texts than asked may come back (with a warning)
            when too few pass; ``sample_report_`` says how many were dropped.
        random_state : int, RandomState or None
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        texts : list of str, or ``(texts, labels)`` (two lists) for a model
            fitted with labels.
        """
        # the base class's request planning: labels per text and the seed
        plan, _, seed = self._plan_sample(n_samples, y, None, random_state)
        idx = plan.take(0, len(plan))
        settings = self._generation_settings(temperature, top_p, max_length)
        use_filter = self.filter if filter is None else filter
        if not isinstance(use_filter, (bool, np.bool_)):
            raise TypeError(f"filter must be True, False or None; got {filter!r}.")
        gen = torch.Generator(device=self.device_).manual_seed(seed)
        report = {"requested": len(idx), "generated": 0, "unterminated": 0}
        if use_filter:
            texts, idx = self._sample_filtered(idx, gen, settings, report)
        else:
            texts = self._generate_texts(idx, gen, settings, report)
        report["returned"] = len(texts)
        self.sample_report_ = report
        return (texts, self.classes_[idx].tolist()) if self.conditional_ else texts

    def _generation_settings(self, temperature, top_p, max_length) -> dict:
        self._check_sampling_params()
        temperature = self.temperature if temperature is None else temperature
        top_p = self.top_p if top_p is None else top_p
        check_positive(temperature, "temperature", allow_zero=True)
        _check_unit(top_p, "top_p", low_open=True, high_open=False)
        if max_length is None:
            max_length = self.context_length
        check_positive(max_length, "max_length", integer=True)
        if max_length > self.context_length:
            raise ValueError(
                f"max_length={max_length} exceeds the model's context_length="
                f"{self.context_length}; pass at most that (or refit with a longer context)."
            )
        return {"temperature": float(temperature), "top_p": float(top_p),
                "max_new": int(max_length)}

    def _generate_texts(self, idx: np.ndarray, gen, settings: dict, report: dict) -> list[str]:
        """Texts for class indices ``idx``, generated in device batches."""
        self.net_.eval()
        eos, texts = self._eos_id(), []
        for start in range(0, len(idx), self._sample_chunk):
            chunk = idx[start : start + self._sample_chunk]
            first = torch.as_tensor(self._prefix_ids(chunk if self.conditional_ else None,
                                                     len(chunk)), device=self.device_)
            out = self._generate_ids(first, gen, settings, eos).cpu().numpy()
            ended = (out == eos).any(1)
            lengths = np.where(ended, (out == eos).argmax(1), out.shape[1])
            report["unterminated"] += int((~ended).sum())
            texts += self._decode_ids([row[:k] for row, k in zip(out, lengths)])
        report["generated"] += len(idx)
        return texts

    def _generate_ids(self, first, gen, settings, eos) -> torch.Tensor:
        if self.pretrained:
            from ._hf import hf_step

            limit = int(self.label_ids_.min()) if len(self.label_ids_) else len(self.tokenizer_)
            step, state, select = hf_step(self.net_, limit), None, None
        else:
            net = self.net_

            unseen = torch.as_tensor(~self.seen_ids_, device=self.device_)

            def step(tokens, cache):
                return net.step(tokens, cache)[:, : eos + 1].masked_fill(unseen, -torch.inf), cache

            state = net.new_cache(len(first), settings["max_new"])
            select = lambda cache, rows: cache.select(rows)  # noqa: E731
        return generate(step, state, first, eos_id=eos, generator=gen, select=select,
                        **settings)

    def _sample_filtered(self, idx, gen, settings, report):
        """Over-generate in up to 4 rounds until every class has its quota.

        The first round draws ``overgenerate`` texts per text wanted; later
        rounds draw by each class's observed pass rate (up to 3 times
        ``overgenerate`` per text still missing), so a class whose texts
        mostly fail is not left short by ever smaller rounds, while a model
        that only copies cannot make a call run away.
        """
        filt = self._quality_filter()
        n_classes = len(self.classes_) if self.conditional_ else 1
        quota = np.bincount(idx, minlength=n_classes)
        kept = [[] for _ in range(n_classes)]
        drawn = np.zeros(n_classes)
        seen: set = set()
        report.update(dropped_duplicate=0, dropped_label=0, dropped_confidence=0, rounds=0)
        for _ in range(4):
            n_kept = np.array([len(k) for k in kept])
            missing = quota - n_kept
            if missing.sum() == 0:
                break
            rate = np.where(drawn > 0, n_kept / np.maximum(drawn, 1), 1.0)
            factor = np.clip(1.2 / np.maximum(rate, 1e-3), self.overgenerate,
                             3 * self.overgenerate)
            per_class = np.ceil(missing * factor).astype(int)
            draw = np.repeat(np.arange(n_classes), per_class)
            drawn += per_class
            texts = self._generate_texts(draw, gen, settings, report)
            keep, dropped = filt.select(texts, draw, missing, seen=seen,
                                        min_confidence=self.min_confidence)
            for i in keep.tolist():
                kept[draw[i]].append(texts[i])
            for key in ("duplicate", "label", "confidence"):
                report[f"dropped_{key}"] += dropped[key]
            report["rounds"] += 1
        # hand texts out in the order of the requested labels; a short class
        # leaves its last requested rows out
        texts, order, used = [], [], [0] * n_classes
        for i, c in enumerate(idx.tolist()):
            if used[c] < len(kept[c]):
                texts.append(kept[c][used[c]])
                used[c] += 1
                order.append(i)
        if len(texts) < len(idx):
            warnings.warn(
                f"the filter kept {len(texts)} of the {len(idx)} texts requested after "
                f"{report['rounds']} rounds (dropped: {report['dropped_duplicate']} copies, "
                f"{report['dropped_label']} judged another label); raise overgenerate, "
                "lower min_confidence, or change temperature (higher: fewer copies; "
                "lower: fewer texts off their label).",
                UserWarning, stacklevel=3,
            )
        return texts, idx[np.asarray(order, dtype=np.int64)]

    def _quality_filter(self) -> TextQualityFilter:
        key = self.duplicate_threshold
        if getattr(self, "_filter_cache", None) is None or self._filter_cache[0] != key:
            filt = TextQualityFilter(duplicate_threshold=key).fit(
                self.train_texts_, self.train_labels_
            )
            self._filter_cache = (key, filt)
        return self._filter_cache[1]

    # ---------------------------------------------------------- persistence
    def _get_state(self):
        state = {"base": self._base_state(), "n_truncated": self.n_truncated_,
                 "label_ids": self.label_ids_.tolist()}
        arrays = self._corpus_state()
        if self.pretrained:
            from ._hf import hf_state_arrays

            arrays.update(hf_state_arrays(self.net_))
        else:
            state["tokenizer"], tok_arrays = self.tokenizer_.get_state()
            arrays.update({f"tokenizer.{k}": v for k, v in tok_arrays.items()})
            arrays["seen_ids"] = self.seen_ids_
            for name, tensor in self.net_.state_dict().items():
                arrays[f"net.{name}"] = tensor.detach().cpu().numpy()
        return state, arrays

    def _set_state(self, state, arrays, device) -> None:
        self._set_base_state(state["base"], device)
        self._set_corpus_state(arrays)
        self.n_truncated_ = int(state["n_truncated"])
        self.label_ids_ = np.asarray(state["label_ids"], dtype=np.int64)
        self._filter_cache = None
        n_classes = len(self.label_ids_)
        if self.pretrained:
            from ._hf import restore_pretrained

            self.tokenizer_, self.net_ = restore_pretrained(self.pretrained, n_classes, arrays)
        else:
            self.tokenizer_ = ByteBPETokenizer.from_state(
                state["tokenizer"], {k[10:]: v for k, v in arrays.items()
                                     if k.startswith("tokenizer.")}
            )
            self.seen_ids_ = np.asarray(arrays["seen_ids"], dtype=bool)
            self.net_ = self._build_net(n_classes)
            self.net_.load_state_dict(
                {k[4:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("net.")}
            )
        self.net_ = self.net_.to(device).eval()


def _check_unit(value, name: str, *, low_open: bool, high_open: bool) -> None:
    """A number in the unit interval, with the given open/closed ends."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {value!r}.")
    low_ok = value > 0 if low_open else value >= 0
    high_ok = value < 1 if high_open else value <= 1
    if not (math.isfinite(value) and low_ok and high_ok):
        interval = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
        raise ValueError(f"{name} must be in {interval}; got {value!r}.")
