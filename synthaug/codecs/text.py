"""Texts <-> token id sequences, and back.

Texts come as a list, tuple, 1-d array, pandas Series (or one-column
DataFrame) of ``str``; samples come back in the same container. The
default tokenizer is a byte-level BPE learned from the texts themselves
(:mod:`synthaug.codecs.bpe`); :class:`synthaug.codecs.text_hf.HFTextCodec`
uses a pretrained model's own tokenizer instead.

Each training text becomes its token ids followed by the end token; a text
longer than ``context_length`` tokens is cut (with a warning) and keeps no
end token, since it did not end there. The codec's :attr:`layout` tells a
language-model engine the vocabulary size, the end and start tokens and
which ids the corpus uses.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import Codec
from .bpe import ByteBPETokenizer

# Characters kept per text before tokenising: far more than any context holds
# (a token is rarely longer than a word), and it bounds the tokenizer's work
# on a pathological multi-megabyte text.
CHARS_PER_TOKEN_CAP = 16


@dataclass
class TokenLayout:
    """What a language model needs of the encoding.

    ``allowed``: bool mask of the ids a native model may generate (those the
    corpus uses), or None; ``tokenizer``: a pretrained tokenizer the engine
    adds its label tokens to, or None.
    """

    n_tokens: int
    eos_id: int
    bos_id: int
    allowed: np.ndarray | None = None
    tokenizer: object = None


class TextCodec(Codec):
    """Byte-level BPE tokens of the user's texts (see the module docstring)."""

    file_formats = (".txt", ".jsonl", ".csv")

    def __init__(self, vocab_size: int = 512, context_length: int = 128):
        self.vocab_size, self.context_length = vocab_size, context_length

    @staticmethod
    def check_input(X) -> int:
        n = len(as_texts(X))
        if n < 2:
            raise ValueError(
                f"X has {n} text(s) while a minimum of 2 is required: a language "
                "model needs at least 2 texts (in practice dozens) to learn from."
            )
        return n

    @staticmethod
    def edit_tags(tags) -> None:
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True

    # ------------------------------------------------------------ encoding
    def _new_tokenizer(self) -> None:
        self.tokenizer_ = ByteBPETokenizer(self.vocab_size)

    def _encode(self, texts: list[str]) -> list[np.ndarray]:
        return self.tokenizer_.fit_encode(texts)

    def _decode_ids(self, seqs) -> list[str]:
        return self.tokenizer_.decode(seqs)

    @property
    def eos_id(self) -> int:
        return self.tokenizer_.eos_id

    @property
    def layout(self) -> TokenLayout:
        tok = self.tokenizer_
        return TokenLayout(tok.n_tokens, tok.eos_id, tok.bos_id, self.seen_ids_)

    def fit_transform(self, X) -> list[np.ndarray]:
        """Learn the tokenizer; the training texts as token id arrays."""
        self.container_ = _container_of(X)
        texts = as_texts(X)
        cap = CHARS_PER_TOKEN_CAP * self.context_length
        cut = [len(t) > cap for t in texts]
        self._new_tokenizer()
        ids = self._encode([t[:cap] for t in texts])
        eos, room = self.eos_id, self.context_length
        seqs, self.n_truncated_ = [], 0
        for s, was_cut in zip(ids, cut):
            if was_cut or len(s) >= room:  # no room for the end token: it did not end here
                seqs.append(s[:room])
                self.n_truncated_ += 1
            else:
                seqs.append(np.r_[s, eos])
        if self.n_truncated_:
            warnings.warn(
                f"{self.n_truncated_} of {len(texts)} texts in X are longer than "
                f"context_length={room} tokens; only their first tokens are learned "
                "(raise context_length to keep more).", UserWarning, stacklevel=4,
            )
        self._note_seen(seqs)
        return seqs

    def _note_seen(self, seqs) -> None:
        # only ids the corpus uses may be generated (a byte the texts never
        # contain, a control character or a foreign script, is never right)
        self.seen_ids_ = np.zeros(self.eos_id + 1, dtype=bool)
        self.seen_ids_[np.concatenate([*seqs, [self.eos_id]]).astype(np.int64)] = True

    def training_texts(self, seqs) -> list[str]:
        """The training texts as learned (truncated ones cut)."""
        eos = self.eos_id
        return self._decode_ids([np.asarray(s)[np.asarray(s) != eos] for s in seqs])

    def fitted_attributes(self) -> dict:
        return {"n_truncated_": int(self.n_truncated_)}

    # ------------------------------------------------------------ decoding
    def decode(self, T, report=None) -> list[str]:
        """Texts from ``(n, length)`` token ids, each cut at its end token;
        ``report["unterminated"]`` counts texts that never ended."""
        out = T.cpu().numpy()
        is_end = out == self.eos_id
        ended = is_end.any(1)
        lengths = np.where(ended, is_end.argmax(1), out.shape[1])
        if report is not None:
            report["unterminated"] = report.get("unterminated", 0) + int((~ended).sum())
        return self._decode_ids([row[:k] for row, k in zip(out, lengths)])

    def join(self, parts: list):
        texts = [t for part in parts for t in part]
        kind, name, dtype = self.container_
        if kind == "ndarray":
            return np.array(texts, dtype=object) if dtype == "O" else np.array(texts)
        if kind in ("series", "dataframe"):
            series = pd.Series(texts, name=name, dtype=object).astype(dtype)
            return series.to_frame() if kind == "dataframe" else series
        return texts

    # --------------------------------------------------------------- state
    def state(self) -> tuple[dict, dict]:
        config, arrays = self.tokenizer_.get_state()
        kind, name, dtype = self.container_
        return ({"tokenizer": config, "container": [kind, name, dtype],
                 "n_truncated": int(self.n_truncated_)},
                {**{f"tokenizer.{k}": v for k, v in arrays.items()}, "seen_ids": self.seen_ids_})

    def restore(self, config: dict, arrays: dict) -> None:
        self.tokenizer_ = ByteBPETokenizer.from_state(
            config["tokenizer"],
            {k[10:]: v for k, v in arrays.items() if k.startswith("tokenizer.")})
        self.seen_ids_ = np.asarray(arrays["seen_ids"], dtype=bool)
        self._restore_common(config)

    def _restore_common(self, config: dict) -> None:
        kind, name, dtype = config["container"]
        if kind not in ("list", "ndarray", "series", "dataframe"):
            raise ValueError(f"unknown text container {kind!r} in the model file")
        self.container_ = (kind, name, str(dtype))
        self.n_truncated_ = int(config["n_truncated"])


def _container_of(X) -> tuple:
    """(kind, name, dtype) of a text container, to give samples the same one."""
    if isinstance(X, pd.DataFrame):
        return "dataframe", _plain_name(X.columns[0]), str(X.dtypes.iloc[0])
    if isinstance(X, pd.Series):
        return "series", _plain_name(X.name), str(X.dtype)
    if isinstance(X, np.ndarray):
        return "ndarray", None, "O" if X.dtype == object else X.dtype.str
    return "list", None, None


def _plain_name(name):
    return name if name is None or isinstance(name, (str, int, float, bool)) else str(name)


def as_texts(X, name: str = "X") -> list[str]:
    """``X`` as a list of str, or a TypeError/ValueError naming ``name``."""
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"{name} is a DataFrame with {X.shape[1]} columns; pass the text "
                f"column itself ({name}['text'])."
            )
        X = X.iloc[:, 0]
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"{name} is a single {type(X).__name__}; pass a list of texts, e.g. [{name}]."
        )
    if isinstance(X, (pd.Series, np.ndarray)):
        if X.ndim != 1:
            raise ValueError(
                f"{name} must be 1-dimensional (one text per entry); got shape {X.shape}."
            )
        items = X.tolist()
    elif isinstance(X, (list, tuple)):
        items = list(X)
    else:
        raise TypeError(
            f"{name} must be a list, tuple, 1-d array or pandas Series of str; "
            f"got {type(X).__name__}."
        )
    for i, t in enumerate(items):
        if not isinstance(t, str):
            what = "a missing value" if t is None or (isinstance(t, float) and t != t) else (
                f"a {type(t).__name__} ({t!r:.40})"
            )
            raise TypeError(
                f"{name}[{i}] is {what}, but every entry of {name} must be a str; "
                "convert or drop it (empty strings are fine)."
            )
    return [str(t) for t in items]  # np.str_ -> str


def texts_to_arrays(texts: list[str]) -> dict:
    """A list of str as a uint8 UTF-8 buffer and end offsets (no object arrays)."""
    data = [t.encode("utf-8") for t in texts]
    return {
        "bytes": np.frombuffer(b"".join(data), dtype=np.uint8).copy(),
        "ends": np.cumsum([len(b) for b in data], dtype=np.int64),
    }


def texts_from_arrays(buf: np.ndarray, ends: np.ndarray) -> list[str]:
    raw = np.asarray(buf, dtype=np.uint8).tobytes()
    ends = np.asarray(ends, dtype=np.int64).tolist()
    return [raw[s:e].decode("utf-8") for s, e in zip([0, *ends[:-1]], ends)]
