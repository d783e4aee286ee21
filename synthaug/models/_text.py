"""The text half of a model: input checks, list outputs, the stored corpus.

Texts come as a list, tuple, 1-d array or pandas Series of ``str`` and go back
as lists (what scikit-learn's text vectorisers take); labels go back as lists
of the labels seen in fit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..sampling import new_rows_per_class


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
    if isinstance(X, pd.Series):
        items = X.tolist()
    elif isinstance(X, np.ndarray):
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


class TextMixin:
    """Hooks and overrides of BaseAugmenter for lists of texts."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def _check_input(self, X) -> int:
        n = len(as_texts(X))
        if n < 2:
            raise ValueError(
                f"X has {n} text(s) while a minimum of 2 is required: a language "
                "model needs at least 2 texts (in practice dozens) to learn from."
            )
        return n

    def fit_resample(self, X, y):
        """Fit on ``(X, y)``; return real texts first, then synthetic ones.

        How many texts each class gains follows ``sampling_strategy`` (with
        imbalanced-learn's meanings) or, when set, ``synthetic_ratio``.

        Returns
        -------
        X_res : list of str
            The real texts, unchanged and in order, then the synthetic ones.
        y_res : list
            Their labels.
        """
        if y is None:
            raise ValueError("fit_resample needs y; use fit(X) and sample(n) without labels.")
        self.fit(X, y)
        y_arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y).ravel()
        new = new_rows_per_class(
            self.sampling_strategy, self.synthetic_ratio, self.classes_, self.class_counts_, y_arr
        )
        self.sampling_strategy_ = {c: int(k) for c, k in zip(self.classes_.tolist(), new)}
        X_res, y_res = as_texts(X), y_arr.tolist()
        if new.sum() > 0:
            texts, labels = self.sample(y={c: k for c, k in self.sampling_strategy_.items() if k})
            X_res, y_res = X_res + texts, y_res + labels
        return X_res, y_res

    def _corpus_state(self) -> dict:
        arrays = texts_to_arrays(self.train_texts_)
        out = {"corpus.bytes": arrays["bytes"], "corpus.ends": arrays["ends"]}
        if self.train_labels_ is not None:
            out["corpus.labels"] = self.train_labels_
        return out

    def _set_corpus_state(self, arrays: dict) -> None:
        self.train_texts_ = texts_from_arrays(arrays["corpus.bytes"], arrays["corpus.ends"])
        labels = arrays.get("corpus.labels")
        self.train_labels_ = None if labels is None else np.asarray(labels, dtype=np.int64)

    def sample_to_file(self, path, *args, **kwargs):
        """Not available for text models: ``sample`` returns lists, which a
        few lines of ``csv`` or ``json`` write out (generation is batched
        anyway, so streaming buys little memory)."""
        raise NotImplementedError(
            f"{type(self).__name__}.sample_to_file is not supported; call sample() "
            "and write the returned lists (e.g. with pandas.DataFrame(...).to_csv)."
        )
