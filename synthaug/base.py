"""BaseAugmenter: the public fit / sample / fit_resample / save templates.

Subclasses (a modality mixin plus a model) write only the hooks:

* ``_encode_fit(X) -> ndarray``: fit the codec, return the training matrix;
* ``_decode(M) -> container`` and ``_concat(parts)``: back to the user's data;
* ``_fit(M, y_idx, seed)``: build and train the nets (set ``history_``);
* ``_sample_encoded(y_idx, n, generator) -> Tensor``: encoded rows on device;
* ``_get_state()`` / ``_set_state()``: JSON config + arrays for ``save``.
"""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import scipy.sparse
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._validation import check_X_rows, check_y_fit, resolve_device, seed_from
from .sampling import labels_to_sample, new_rows_per_class

FIT_STREAM, SAMPLE_STREAM = 0, 1


class BaseAugmenter(BaseEstimator):
    """Common scikit-learn / imbalanced-learn contract of every generator."""

    # Rows generated per device call; bounds memory while keeping batches large.
    _sample_chunk = 65536

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Fit the generator on ``X`` (class-conditional when ``y`` is given).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), optional
            Class labels; without them the model is unconditional.

        Returns
        -------
        self
        """
        self._validate_params()
        if scipy.sparse.issparse(X):
            # np.asarray would wrap it in a 0-d object array and the error
            # would speak of shapes; say what is wrong instead.
            raise TypeError(
                "X is a scipy sparse matrix, which synthaug models do not accept; "
                "pass dense data (X.toarray())."
            )
        n = check_X_rows(X)
        if y is not None:
            classes, y_idx, counts = check_y_fit(y, n)
        device = resolve_device(self.device)
        M = self._encode_fit(X)
        self.device_ = device
        self.conditional_ = y is not None
        for stale in ("classes_", "target_name_", "sampling_strategy_"):
            self.__dict__.pop(stale, None)  # from an earlier fit with other labels
        if self.conditional_:
            self.classes_, self.class_counts_ = classes, counts
            # kept so tools (the CLI) can write labels under the user's name
            name = getattr(y, "name", None)
            self.target_name_ = name if isinstance(name, str) else None
        else:
            y_idx = None
            self.class_counts_ = np.array([n])
        self._fit(M, y_idx, seed_from(self.random_state, FIT_STREAM))
        return self

    # --------------------------------------------------------------- sample
    def sample(self, n_samples=None, y=None, *, random_state=None):
        """Draw synthetic rows.

        Parameters
        ----------
        n_samples : int >= 1, or None when ``y`` is an array or a dict
        y : None, a label, an array of labels or a dict ``{label: count}``
            Only for a model fitted with labels. None follows the training
            class proportions.
        random_state : int, RandomState or None
            Defaults to the estimator's ``random_state``: the same value gives
            the same rows (on the same device); pass another for a new draw.

        Returns
        -------
        X_syn, or ``(X_syn, y_syn)`` for a model fitted with labels.
        """
        check_is_fitted(self, "device_")
        if self.conditional_:
            idx = labels_to_sample(n_samples, y, self.classes_, self.class_counts_)
        else:
            if y is not None:
                raise ValueError(
                    "y was given but this model was fitted without labels; "
                    "refit with fit(X, y) to sample by class."
                )
            idx = labels_to_sample(n_samples, None, np.arange(1), self.class_counts_)
        rs = self.random_state if random_state is None else random_state
        gen = torch.Generator(device=self.device_).manual_seed(seed_from(rs, SAMPLE_STREAM))
        parts = []
        for start in range(0, len(idx), self._sample_chunk):
            chunk = idx[start : start + self._sample_chunk]
            y_t = torch.as_tensor(chunk, device=self.device_) if self.conditional_ else None
            encoded = self._sample_encoded(y_t, len(chunk), gen)
            parts.append(self._decode(encoded.float().cpu().numpy()))
        X_syn = parts[0] if len(parts) == 1 else self._concat(parts)
        return (X_syn, self.classes_[idx]) if self.conditional_ else X_syn

    # -------------------------------------------------------- fit_resample
    def fit_resample(self, X, y):
        """Fit on ``(X, y)`` and return real rows followed by synthetic ones.

        How many synthetic rows each class gets follows ``sampling_strategy``
        (imbalanced-learn's meanings) or, when set, ``synthetic_ratio``. The
        real rows come first, unchanged and in order; the output has the
        caller's containers (DataFrame/Series or arrays).
        """
        if y is None:
            raise ValueError("fit_resample needs y; use fit(X) and sample(n) without labels.")
        self.fit(X, y)
        y_arr = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y).ravel()
        new = new_rows_per_class(
            self.sampling_strategy, self.synthetic_ratio, self.classes_, self.class_counts_, y_arr
        )
        self.sampling_strategy_ = {c: int(k) for c, k in zip(self.classes_.tolist(), new)}
        if new.sum() == 0:
            # Same containers and index as when rows are added (a fresh
            # RangeIndex, arrays for list input), just no synthetic rows.
            return self._concat([X], real_first=True), _append_labels(y, self.classes_[:0])
        wanted = {c: int(k) for c, k in zip(self.classes_.tolist(), new) if k > 0}
        X_syn, y_syn = self.sample(y=wanted)
        return self._concat([X, X_syn], real_first=True), _append_labels(y, y_syn)

    # ---------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the fitted model to ``path`` (JSON config + arrays, no pickle).

        The file is written to a temporary name and renamed, so an existing
        file is never left half-written. Load it with :func:`synthaug.load`.
        """
        from .persistence import save_estimator

        check_is_fitted(self, "device_")
        save_estimator(self, path)

    def _base_state(self) -> dict:
        state = {
            "conditional": self.conditional_,
            "class_counts": self.class_counts_.tolist(),
            "history": self.history_,
        }
        if self.conditional_:
            state["classes"] = self.classes_.tolist()
            state["target_name"] = self.target_name_
            state["classes_dtype"] = self.classes_.dtype.str if self.classes_.dtype != object else "O"
        return state

    def _set_base_state(self, state: dict, device: torch.device) -> None:
        self.device_ = device
        self.conditional_ = state["conditional"]
        self.class_counts_ = np.asarray(state["class_counts"], dtype=np.int64)
        self.history_ = state["history"]
        if self.conditional_:
            self.classes_ = np.array(state["classes"], dtype=np.dtype(state["classes_dtype"]))
            self.target_name_ = state.get("target_name")

    # -------------------------------------------------------------- pickle
    def __getstate__(self):
        # torch modules travel on the CPU (skorch's convention), so a pickle
        # made on a GPU machine loads on a CPU-only one.
        state = super().__getstate__()
        return {
            k: (copy.deepcopy(v).cpu() if isinstance(v, torch.nn.Module) else v)
            for k, v in state.items()
        }

    def __setstate__(self, state):
        super().__setstate__(state)
        if "device_" in state:
            if self.device_.type == "cuda" and not torch.cuda.is_available():
                self.device_ = torch.device("cpu")
            for k, v in list(vars(self).items()):
                if isinstance(v, torch.nn.Module):
                    setattr(self, k, v.to(self.device_))


def seeded_init(seed: int, factory):
    """Build a module with weights drawn from ``seed``, leaving torch's global
    RNG exactly as it was (so fitting never disturbs the caller's randomness)."""
    with torch.random.fork_rng(devices=[]):
        # Only the CPU generator: torch.manual_seed would also reseed every
        # CUDA device's global generator, which fork_rng(devices=[]) leaves
        # unrestored. Modules are built on the CPU, so this is all they use.
        torch.default_generator.manual_seed(seed)
        return factory()


def _append_labels(y, y_syn: np.ndarray):
    if isinstance(y, pd.Series):
        syn = pd.Series(y_syn, name=y.name).astype(y.dtype)
        return pd.concat([y, syn], ignore_index=True)
    y_arr = np.asarray(y)
    return np.concatenate([y_arr.ravel(), y_syn.astype(y_arr.dtype, copy=False)])
