"""The tabular half of a model: codec fitting, decoding, concatenation, and
the condition vector (labels plus one discrete column) both tabular
generators share."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .._validation import check_positive
from ..codecs.tabular import TabularCodec, codec_from_state, codec_state
from ..codecs.tabular_decode import ColumnCollector, DecodedColumns
from ..nets.conditioning import ConditionVector


class TabularMixin:
    """Hooks of BaseAugmenter for tables (numpy arrays or DataFrames)."""

    # fit(X, y) takes unlabelled rows: -1 / None in y (see check_y_semi)
    _accepts_unlabelled = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # NaN is learned as a missing value and string columns as categories,
        # so scikit-learn's checks must not demand that fit rejects them.
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _encode_fit(self, X) -> np.ndarray:
        codec = TabularCodec().fit(X)
        self.codec_ = codec
        self.n_features_in_ = len(codec.columns_)
        names = codec.feature_names
        if codec.container_ == "dataframe" and all(isinstance(c, str) for c in names):
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return codec.transform(X)

    def _decode_part(self, T: torch.Tensor) -> DecodedColumns:
        # decoded on T's device to plain arrays per chunk (only the decoded
        # columns reach the host); the DataFrame is built once, by the collector
        return self.codec_.decode_columns(T)

    def _collector(self, n_rows: int) -> ColumnCollector:
        return ColumnCollector(self.codec_, n_rows)

    def _concat(self, parts, real_first: bool = False):
        if self.codec_.container_ == "dataframe":
            return pd.concat(parts, ignore_index=True)
        dtype = np.dtype(self.codec_.array_dtype_)
        return np.concatenate([np.asarray(p, dtype=dtype) for p in parts])

    # ------------------------------------------------------ unlabelled rows
    def _training_labels(self, M: np.ndarray, y_idx):
        """Class indices for the sampling frequencies, and the labels the
        training conditions use (per row: an index, -1 for "unknown", or a
        row of class probabilities), following ``pseudo_labels``.

        Returns ``(y_idx, labels)``; both None for an unconditional fit. The
        frequencies count labelled rows only (unlabelled rows stay -1 there).
        Sets ``n_pseudo_labelled_`` (unlabelled rows given a class or
        probabilities).
        """
        self.n_pseudo_labelled_ = 0
        mode = getattr(self, "pseudo_labels", None)
        if y_idx is None or mode is None or not (y_idx < 0).any():
            return y_idx, y_idx
        known = y_idx >= 0
        proba, classes = _pseudo_label_proba(M, y_idx, spread=mode == "spread")
        if isinstance(mode, str):  # "soft" / "spread": class probabilities as the label part
            labels = np.zeros((len(M), len(self.classes_)), dtype=np.float32)
            labels[np.flatnonzero(known), y_idx[known]] = 1.0
            labels[np.ix_(np.flatnonzero(~known), classes)] = proba
            self.n_pseudo_labelled_ = int((~known).sum())
            return y_idx, labels
        sure = proba.max(1) >= mode
        labels = y_idx.copy()
        labels[np.flatnonzero(~known)[sure]] = classes[proba.argmax(1)[sure]]
        self.n_pseudo_labelled_ = int(sure.sum())
        return y_idx, labels

    # ------------------------------------------------------ condition vector
    def _build_conditioner(self, X: torch.Tensor, y: torch.Tensor | None) -> ConditionVector:
        """The fitted condition vector for the training matrix ``X`` (on device)."""
        spans = [(s.width, s.activation) for s in self.codec_.spans]
        n_classes = len(self.classes_) if self.conditional_ else 0
        cv = ConditionVector(spans, n_classes).to(X.device)
        cv.fit_counts(X, y)
        return cv

    def _check_conditions(self, conditions):
        """Map ``conditions={column: value}`` to a discrete condition position.

        One categorical or boolean column per call: the generators were
        trained conditioning on one discrete column at a time, so a joint
        request on several would ask for something they never learned.
        """
        if conditions is None:
            return None
        if not isinstance(conditions, dict):
            raise TypeError(
                f"conditions must be a dict {{column: value}}; got {type(conditions).__name__}."
            )
        if not conditions:
            return None
        if len(conditions) > 1:
            raise ValueError(
                f"conditions fixes {len(conditions)} columns ({list(conditions)}); pass one "
                "column per call (the model is trained conditioning on one discrete "
                "column at a time)."
            )
        (column, value), = conditions.items()
        j = self._column_index(column)
        col = self.codec_.columns_[j]
        if col.kind != "categorical":
            raise ValueError(
                f"conditions names column {column!r}, which is {col.kind}; only "
                "categorical and boolean columns (encoded as categories) can be fixed. "
                "Condition on a categorical column, or bin this one before fit."
            )
        # discrete blocks before column j, as TabularCodec.spans lays them out:
        # one per categorical column, one per numeric column with missing values
        block = sum(
            1 if c.kind == "categorical" else int(c.has_missing) for c in self.codec_.columns_[:j]
        )
        return int(self.conditioner_.block_start[block]) + _category_index(col, column, value)

    def _column_index(self, column) -> int:
        names = self.codec_.feature_names
        if not isinstance(column, (bool, np.bool_)):  # True == 1 would match column 1
            for j, name in enumerate(names):
                if isinstance(name, str) == isinstance(column, str) and name == column:
                    return j
        raise ValueError(
            f"conditions names column {column!r}, which is not a column of the "
            f"training data (columns: {names})."
        )

    def _class_counts_given(self, position):
        if position is None:
            return self.class_counts_
        return self.conditioner_.class_counts_at(position).cpu().numpy()

    def _condition(self, y_idx, noise, position) -> torch.Tensor:
        """Condition vectors for a sampling chunk: drawn from the training
        frequencies, or fixed at the requested position."""
        cv = self.conditioner_
        if position is None:
            pos = cv.draw(y_idx, noise)
        else:
            pos = torch.full((noise.n,), position, dtype=torch.long, device=noise.device)
        return cv.vector(y_idx, pos, noise.n, noise.device)

    def _apply_conditions(self, out: torch.Tensor, position) -> torch.Tensor:
        """Guarantee the requested category: the condition vector steers the
        rest of the row, and the column's own one-hot block is then set to the
        requested category (a net may still put mass elsewhere). This is a
        deterministic overwrite of one block, not reject sampling."""
        return out if position is None else self.conditioner_.force(out, position)

    # ------------------------------------------------------------ persistence
    def _tabular_state(self):
        config, arrays = codec_state(self.codec_)
        if hasattr(self, "feature_names_in_"):
            config["feature_names_in"] = self.feature_names_in_.tolist()
        arrays["cond.counts"] = self.conditioner_.counts.cpu().numpy()
        return config, arrays

    def _set_tabular_state(self, config, arrays) -> None:
        self.codec_ = codec_from_state(config, arrays)
        self.n_features_in_ = len(self.codec_.columns_)
        if "feature_names_in" in config:
            self.feature_names_in_ = np.asarray(config["feature_names_in"], dtype=object)
        spans = [(s.width, s.activation) for s in self.codec_.spans]
        cv = ConditionVector(spans, len(self.classes_) if self.conditional_ else 0)
        cv.counts.copy_(torch.from_numpy(arrays["cond.counts"]))
        self.conditioner_ = cv.to(self.device_)

    # ---- sampling and persistence, shared by every tabular model: each
    # model's sampling network exposes sample(cond, noise) and is rebuilt on
    # load by the model's _build_sampling_net().
    def _sample_encoded(self, y_idx, noise, condition) -> torch.Tensor:
        self.net_.eval()
        cond = self._condition(y_idx, noise, condition)
        out = self.net_.sample(cond, noise, **self._net_sample_options())
        return self._apply_conditions(out, condition)

    def _net_sample_options(self) -> dict:
        """Keyword arguments of the net's ``sample``: both tabular models
        take a sampling ``temperature``."""
        return {"temperature": float(self.temperature)}

    def _get_state(self):
        config, arrays = self._tabular_state()
        for name, tensor in self.net_.state_dict().items():
            arrays[f"net.{name}"] = tensor.detach().cpu().numpy()
        return {"base": self._base_state(), "codec": config}, arrays

    def _set_state(self, state, arrays, device) -> None:
        self._set_base_state(state["base"], device)
        self._set_tabular_state(state["codec"], arrays)
        net = self._build_sampling_net()
        net.load_state_dict(
            {k[4:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("net.")}
        )
        self.net_ = net.to(device).eval()


PSEUDO_LABELS_DOC = '"soft", "spread", a float in [0, 1] or None'


def check_pseudo_labels(value) -> None:
    """Validate a tabular model's ``pseudo_labels`` parameter."""
    if value is None or (isinstance(value, str) and value in ("soft", "spread")):
        return
    if isinstance(value, str):
        raise ValueError(f"pseudo_labels must be {PSEUDO_LABELS_DOC}; got {value!r}.")
    check_positive(value, "pseudo_labels", allow_zero=True)
    if value > 1:
        raise ValueError(f"pseudo_labels must be {PSEUDO_LABELS_DOC}; got {value!r}.")


def _pseudo_label_proba(M: np.ndarray, y_idx: np.ndarray, spread: bool):
    """Class probabilities of the unlabelled rows (``y_idx == -1``) of the
    encoded matrix ``M``, and the class indices of their columns.

    ``spread``: label spreading over a k-nearest-neighbour graph of all rows
    (Zhou et al. 2004), which follows clusters the unlabelled rows reveal;
    otherwise a logistic regression fitted on the labelled rows alone.
    """
    known = y_idx >= 0
    if spread:
        from sklearn.semi_supervised import LabelSpreading

        # alpha near 1 (Zhou et al.'s 0.99) lets labels travel far along the
        # graph; at scikit-learn's default 0.2 the iteration stops while rows a
        # few hops from every labelled row still hold no mass
        k = int(min(10, len(M) - 1))
        model = LabelSpreading(kernel="knn", n_neighbors=k, alpha=0.99, max_iter=1000)
        model.fit(M, y_idx)
        proba = model.label_distributions_[~known]
        # a row no labelled row reaches has all-zero mass: make it uniform
        proba = np.where(proba.sum(1, keepdims=True) > 0, proba, 1.0 / proba.shape[1])
        return proba / proba.sum(1, keepdims=True), model.classes_[model.classes_ >= 0]
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=1000).fit(M[known], y_idx[known])
    return clf.predict_proba(M[~known]), clf.classes_


def _category_index(col, column, value) -> int:
    if np.ndim(value) != 0:
        raise TypeError(
            f"conditions[{column!r}] must be one value; got {type(value).__name__}. "
            "Call sample once per value."
        )
    value = value.item() if isinstance(value, np.generic) else value
    if pd.isna(value):
        if col.has_missing:
            return len(col.categories)  # the "missing" slot after the categories
    else:
        for i, c in enumerate(col.categories):
            if isinstance(c, str) == isinstance(value, str) and c == value:
                return i
    raise ValueError(
        f"conditions[{column!r}]={value!r} was not seen in fit for that column "
        f"(seen: {col.categories}{' and missing' if col.has_missing else ''})."
    )
