"""BaseAugmenter: the public fit / sample / fit_resample / save templates.

Subclasses (a modality mixin plus a model) write only the hooks:

* ``_encode_fit(X) -> ndarray``: fit the codec, return the training matrix;
* ``_decode(T) -> container`` (``T`` the encoded rows, a tensor on the
  device) and ``_concat(parts)``: back to the user's data; or, to build
  the container once per ``sample`` call instead of once per chunk,
  ``_decode_part(T)`` and ``_collector(n_rows)`` (the tabular models);
* ``_fit(M, y_idx, seed)``: build and train the nets (set ``history_``);
* ``_sample_encoded(y_idx, noise, condition) -> Tensor``: encoded rows on
  device, every random number from ``noise`` (a ``nets.noise.RowNoise``);
* ``_check_conditions(conditions)`` / ``_class_counts_given(condition)``:
  optional support for ``sample(..., conditions=...)``;
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

from ._validation import (
    check_positive, check_X_rows, check_y_fit, check_y_semi, resolve_device, seed_from,
    unlabelled_mask,
)
from .nets.noise import RowNoise
from .sampling import new_rows_per_class, plan_labels

FIT_STREAM, SAMPLE_STREAM = 0, 1


class BaseAugmenter(BaseEstimator):
    """Common scikit-learn / imbalanced-learn contract of every generator."""

    # Rows generated per device call (bounds memory while keeping batches
    # large); None picks by device, see _rows_per_call.
    _sample_chunk = None
    # Whether fit(X, y) takes rows marked unlabelled (tabular models do).
    _accepts_unlabelled = False

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Fit the generator on ``X`` (class-conditional when ``y`` is given).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), optional
            Class labels; without them the model is unconditional. Tabular
            models also take unlabelled rows, marked -1 for numeric labels
            (scikit-learn's semi-supervised convention) or None/NaN for
            string labels: they teach the data distribution, the labelled
            rows the classes (see the model's documentation).

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
        n = self._check_input(X)
        if y is not None:
            # tabular models also take unlabelled rows (-1 / None, see check_y_semi)
            check_y = check_y_semi if self._accepts_unlabelled else check_y_fit
            classes, y_idx, counts = check_y(y, n)
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
        self.n_unlabelled_ = 0 if y_idx is None else int((y_idx < 0).sum())
        try:
            self._fit(M, y_idx, seed_from(self.random_state, FIT_STREAM))
        except BaseException:
            # a failed fit (divergence, interrupt) must not leave an estimator
            # that looks fitted and samples from half-trained or stale nets
            self.__dict__.pop("device_", None)
            raise
        return self

    def _check_input(self, X) -> int:
        """Validate the shape of ``X`` and return its number of samples.

        A modality hook: tables need 2-d input (the default), images override
        it to accept ``(N, C, H, W)`` / ``(N, H, W)``.
        """
        return check_X_rows(X)

    # --------------------------------------------------------------- sample
    def sample(self, n_samples=None, y=None, *, conditions=None, random_state=None):
        """Draw synthetic rows.

        Parameters
        ----------
        n_samples : int >= 1, or None when ``y`` is an array or a dict
        y : None, a label, an array of labels or a dict ``{label: count}``
            Only for a model fitted with labels. None follows the training
            class proportions (given ``conditions``, when set).
        conditions : dict ``{column: value}``, optional
            Fix one discrete column to ``value`` in every row (models that
            support it; see the model's documentation). The rest of each row
            is generated conditioned on it, never by rejecting rows.
        random_state : int, RandomState or None
            Defaults to the estimator's ``random_state``: the same value gives
            the same rows (on the same device); pass another for a new draw.

        Returns
        -------
        X_syn, or ``(X_syn, y_syn)`` for a model fitted with labels.
        """
        run = self._plan_sample(n_samples, y, conditions, random_state)
        rows, labels = self._collector(len(run[0])), []
        for X_part, y_part in self._generate(run, self._rows_per_call()):
            rows.add(X_part)
            labels.append(y_part)
        X_syn = rows.result()
        if not self.conditional_:
            return X_syn
        return X_syn, self.classes_[np.concatenate(labels)]

    def sample_to_file(
        self, path, n_samples=None, y=None, *, conditions=None, chunk_size=None,
        random_state=None, labels_path=None,
    ):
        """Stream synthetic rows to a ``.csv`` or ``.npy`` file, a chunk at a time.

        Memory stays bounded by ``chunk_size`` decoded rows (plus one batch
        of encoded rows on the device) whatever ``n_samples`` is, and the file
        holds exactly the rows ``sample`` returns for the same arguments and
        ``random_state``: rows are a function of the seed and their position,
        not of the chunking. Each file is written under a temporary name and
        renamed when complete, so a failure never leaves a partial file at
        ``path``.

        Parameters
        ----------
        path : str or Path
            Ends in ``.csv`` (header row; for a model fitted with labels the
            label is the last column, named as the training target or
            ``"label"``) or ``.npy`` (the rows as one array; the model must
            decode to numbers, not to mixed-type objects).
        n_samples, y, conditions, random_state
            As in :meth:`sample`.
        chunk_size : int >= 1, optional
            Rows generated and written per step (default: as ``sample``).
        labels_path : str or Path, optional
            ``.npy`` output of a model fitted with labels: where the labels go
            (default: ``path`` with ``.labels.npy`` in place of ``.npy``).

        Returns
        -------
        pathlib.Path, or ``(path, labels_path)`` for ``.npy`` with labels.
        """
        from ._io import SampleWriter

        chunk = self._rows_per_call() if chunk_size is None else chunk_size
        check_positive(chunk, "chunk_size", integer=True)
        run = self._plan_sample(n_samples, y, conditions, random_state)
        writer = SampleWriter(path, labels_path, self)
        chunks = ((self._collector(len(idx)).add(part).result(), idx)
                  for part, idx in self._generate(run, int(chunk)))
        return writer.write(chunks, len(run[0]))

    def _plan_sample(self, n_samples, y, conditions, random_state):
        """Validate a sampling request; return (label plan, condition, seed)."""
        check_is_fitted(self, "device_")
        condition = self._check_conditions(conditions)
        if self.conditional_:
            counts = self._class_counts_given(condition)
            plan = plan_labels(n_samples, y, self.classes_, counts)
        else:
            if y is not None:
                raise ValueError(
                    "y was given but this model was fitted without labels; "
                    "refit with fit(X, y) to sample by class."
                )
            plan = plan_labels(n_samples, None, np.arange(1), self.class_counts_)
        rs = self.random_state if random_state is None else random_state
        return plan, condition, seed_from(rs, SAMPLE_STREAM)

    def _generate(self, run, chunk_size: int):
        """Yield ``(decoded part, class indices)`` for consecutive chunks
        (a ``_collector`` turns parts into the user's container).

        The nets always run on the same row ranges, units of
        ``_rows_per_call()`` rows aligned at multiples of it, whatever
        ``chunk_size`` is: a matrix product's rounding can depend on its batch
        size, so this (with noise that is a function of the row, see
        ``nets.noise.RowNoise``) is what makes chunked output bit-identical to
        one ``sample`` call. A unit straddling two chunks is computed once.
        """
        plan, condition, seed = run
        n, unit = len(plan), self._rows_per_call()
        cached = (-1, None)
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            parts = []
            for u in range(start // unit, (stop - 1) // unit + 1):
                lo, hi = u * unit, min((u + 1) * unit, n)
                if cached[0] != u:
                    cached = (u, self._sample_unit(plan.take(lo, hi), seed, lo, hi, n, condition))
                parts.append(cached[1][max(start, lo) - lo : min(stop, hi) - lo])
            encoded = parts[0] if len(parts) == 1 else torch.cat(parts)
            yield self._decode_part(encoded), plan.take(start, stop)

    def _decode_part(self, T: torch.Tensor):
        """Hook: one chunk of encoded rows, decoded as far as is worth doing
        per chunk (default: all the way, to the user's container)."""
        return self._decode(T)

    def _collector(self, n_rows: int) -> "PartCollector":
        """Hook: gathers the ``_decode_part`` outputs of consecutive chunks,
        ``n_rows`` rows in all, into the user's container."""
        return PartCollector(self._concat)

    def _rows_per_call(self) -> int:
        if self._sample_chunk is not None:
            return int(self._sample_chunk)
        # On a CPU, 16,384 rows keep a 128-wide layer's activations (8 MB)
        # near the caches: both tabular models sampled fastest there in
        # benchmarks/throughput.py (65,536 was 1.2-1.6x slower); GPUs want
        # larger calls.
        return 16384 if self.device_.type == "cpu" else 65536

    def _sample_unit(self, idx, seed, lo, hi, n, condition) -> torch.Tensor:
        y_t = torch.as_tensor(idx, device=self.device_) if self.conditional_ else None
        noise = RowNoise(seed, lo, hi, n, self.device_)
        with torch.inference_mode():  # conditions and nets alike: no autograd
            return self._sample_encoded(y_t, noise, condition)

    def _check_conditions(self, conditions):
        """Hook: validate ``conditions``; models without support refuse any."""
        if conditions:
            raise TypeError(f"{type(self).__name__}.sample does not accept conditions.")
        return None

    def _class_counts_given(self, condition) -> np.ndarray:
        """Hook: training rows per class that satisfy ``condition``."""
        return self.class_counts_

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
        if self._accepts_unlabelled and unlabelled_mask(y).any():
            # resampling returns the training rows with their labels: an
            # unlabelled row has no label to return and no class to count in
            raise ValueError(
                f"fit_resample got {int(unlabelled_mask(y).sum())} row(s) marked unlabelled "
                "in y; resampling needs every row labelled. Use fit(X, y) with the "
                "unlabelled rows, then sample(...), or AugmentedClassifier."
            )
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


class PartCollector:
    """Decoded chunks in, the user's container out: ``add(part)`` for each
    chunk in order, then ``result()``. This default keeps the parts and
    concatenates them at the end; a model can collect more cheaply (tabular
    models copy each chunk's columns into arrays sized for every row)."""

    def __init__(self, concat):
        self._concat, self._parts = concat, []

    def add(self, part) -> "PartCollector":
        self._parts.append(part)
        return self

    def result(self):
        return self._parts[0] if len(self._parts) == 1 else self._concat(self._parts)
