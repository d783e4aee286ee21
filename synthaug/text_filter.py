"""Quality filter for generated text: label agreement and near-copy removal.

A language model fitted on a few dozen texts writes some samples that do not
read as their intended class, and some that copy a training text. Both hurt
augmentation: the first adds label noise, the second adds nothing while
looking like a win. :class:`TextQualityFilter` scores generated texts with a
classifier trained on the real texts (as LAMBADA does, Anaby-Tavor et al.
2020) and flags copies by a normalised exact match or a character n-gram
Jaccard similarity to any training text.
"""
from __future__ import annotations

import re

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from .codecs.text import texts_from_arrays, texts_to_arrays

_NON_WORD = re.compile(r"\W+")


def normalize(text: str) -> str:
    """Lower case, every run of non-word characters a single space."""
    return _NON_WORD.sub(" ", text.lower()).strip()


class TextQualityFilter:
    """Scores generated texts against the real corpus they imitate.

    Parameters
    ----------
    duplicate_threshold : float in (0, 1], default=0.7
        A text whose character ``ngram``-gram Jaccard similarity to some
        training text reaches this is a near copy. Changing one word of a
        20-word sentence leaves it near 0.85; 1.0 flags only texts whose
        n-gram sets are identical.
    ngram : int, default=4
        Shingle length in characters (of the normalised text).
    query_chunk : int, default=1024
        Generated texts compared per sparse product (bounds memory).

    Attributes
    ----------
    judge_ : fitted TF-IDF (character 2-4-grams, so any script works) +
        logistic regression, or None without labels or usable text.
    """

    def __init__(self, duplicate_threshold: float = 0.7, ngram: int = 4,
                 query_chunk: int = 1024):
        self.duplicate_threshold = duplicate_threshold
        self.ngram = ngram
        self.query_chunk = query_chunk

    def fit(self, texts, labels=None) -> "TextQualityFilter":
        """Index the training ``texts``; train the judge when ``labels`` are given."""
        norm = [normalize(t) for t in texts]
        self._exact = set(norm)
        self._hasher = HashingVectorizer(
            analyzer="char", ngram_range=(self.ngram, self.ngram), lowercase=False,
            binary=True, norm=None, alternate_sign=False, n_features=2**20,
        )
        self._train = self._hasher.transform(norm).tocsr()
        self._train_size = np.diff(self._train.indptr)
        self.judge_ = None
        if labels is not None and len(np.unique(labels)) > 1 and any(norm):
            self.judge_ = make_pipeline(
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
                LogisticRegression(C=10.0, max_iter=2000),
            ).fit(list(texts), np.asarray(labels))
        return self

    def max_similarity(self, texts) -> np.ndarray:
        """Largest n-gram Jaccard similarity of each text to any training text."""
        norm = [normalize(t) for t in texts]
        out = np.zeros(len(norm))
        for start in range(0, len(norm), self.query_chunk):
            Q = self._hasher.transform(norm[start : start + self.query_chunk]).tocsr()
            q_size = np.diff(Q.indptr)
            inter = (Q @ self._train.T).tocoo()  # shared n-grams, nonzero pairs only
            union = q_size[inter.row] + self._train_size[inter.col] - inter.data
            jac = inter.data / np.maximum(union, 1)
            best = np.zeros(Q.shape[0])
            np.maximum.at(best, inter.row, jac)
            out[start : start + Q.shape[0]] = best
        return out

    def is_duplicate(self, texts) -> np.ndarray:
        """True where a text copies a training text (normalised exact match,
        or n-gram Jaccard similarity >= ``duplicate_threshold``)."""
        exact = np.array([normalize(t) in self._exact for t in texts], dtype=bool)
        return exact | (self.max_similarity(texts) >= self.duplicate_threshold)

    def label_confidence(self, texts, labels) -> tuple[np.ndarray, np.ndarray]:
        """``(agrees, confidence)``: whether the judge's most likely label is the
        intended one, and its probability for the intended label. Without a
        judge every text agrees with confidence 1."""
        labels = np.asarray(labels)
        if self.judge_ is None or len(labels) == 0:
            return np.ones(len(labels), bool), np.ones(len(labels))
        proba = self.judge_.predict_proba(list(texts))
        classes = self.judge_.classes_
        col = np.searchsorted(classes, labels)
        conf = proba[np.arange(len(labels)), col]
        return classes[proba.argmax(1)] == labels, conf

    def select(self, texts, labels, quota: np.ndarray, *, min_confidence=None,
               seen: set | None = None) -> tuple[np.ndarray, dict]:
        """Which generated texts to keep, at most ``quota[c]`` of class ``c``.

        Drops copies of training texts, repeats (after normalisation) of a
        text already kept (``seen``, updated in place) or earlier in the
        batch, texts the judge assigns to another label and, when
        ``min_confidence`` is set, texts below it; the most confident of the
        rest are kept first.

        Parameters
        ----------
        texts : list of str
        labels : (n,) int array of class indices
        quota : (n_classes,) int array
        min_confidence : float or None
        seen : set of normalised texts kept so far, or None

        Returns
        -------
        keep : int array of indices into ``texts``, grouped by class
        dropped : dict of counts ``duplicate``, ``label``, ``confidence``, ``surplus``
        """
        seen = set() if seen is None else seen
        norm = [normalize(t) for t in texts]
        repeat = np.zeros(len(texts), bool)
        first = {}
        for i, t in enumerate(norm):
            repeat[i] = t in seen or t in first
            first.setdefault(t, i)
        dup = repeat | self.is_duplicate(texts)
        agree, conf = self.label_confidence(texts, labels)
        confident = conf >= (0.0 if min_confidence is None else min_confidence)
        ok = ~dup & agree & confident
        keep = []
        for c, q in enumerate(np.asarray(quota).tolist()):
            rows = np.flatnonzero(ok & (labels == c))
            keep.append(rows[np.argsort(-conf[rows], kind="stable")][:q])
        keep = np.concatenate(keep) if keep else np.zeros(0, np.int64)
        seen.update(norm[i] for i in keep.tolist())
        dropped = {
            "duplicate": int(dup.sum()),
            "label": int((~dup & ~agree).sum()),
            "confidence": int((~dup & agree & ~confident).sum()),
            "surplus": int(ok.sum() - len(keep)),
        }
        return keep, dropped


class TextCurator:
    """The filter as a curator of generated texts (see
    :mod:`synthaug.core.curation`): it keeps the training texts and their
    labels (saved with the model) to index copies and train the judge.

    ``select`` decodes the candidates with the model's codec and keeps, per
    class, the texts the filter accepts, most confident first.
    """

    shortfall_hint = ("raise overgenerate, lower min_confidence, or change temperature "
                      "(higher: fewer copies; lower: fewer texts off their label).")

    def __init__(self, codec):
        self.codec = codec
        self._cache = None  # (duplicate_threshold, fitted filter)

    def fit(self, data, codec, seed: int = 0) -> None:
        self.texts_ = codec.training_texts(data.M)
        self.labels_ = None if data.y_idx is None else np.asarray(data.y_idx, dtype=np.int64)
        self._cache = None

    def select(self, encoded, labels, missing, state: dict, settings: dict):
        texts = self.codec.decode(encoded)
        return self._filter(settings["duplicate_threshold"]).select(
            texts, labels, missing, min_confidence=settings["min_confidence"],
            seen=state.setdefault("seen", set()))

    def _filter(self, threshold: float) -> TextQualityFilter:
        if self._cache is None or self._cache[0] != threshold:
            filt = TextQualityFilter(duplicate_threshold=threshold).fit(self.texts_, self.labels_)
            self._cache = (threshold, filt)
        return self._cache[1]

    def state(self) -> tuple[dict, dict]:
        arrays = texts_to_arrays(self.texts_)
        if self.labels_ is not None:
            arrays["labels"] = self.labels_
        return {}, arrays

    def restore(self, config: dict, arrays: dict) -> None:
        self.texts_ = texts_from_arrays(arrays["bytes"], arrays["ends"])
        labels = arrays.get("labels")
        self.labels_ = None if labels is None else np.asarray(labels, dtype=np.int64)
        self._cache = None
