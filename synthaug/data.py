"""The torch Dataset layer: synthetic samples where a training loop expects data.

* :class:`SyntheticDataset`: ``n_samples`` items drawn from a fitted model;
  item ``i`` is a pure function of ``(seed, i)``.
* :class:`AugmentedDataset`: a real dataset followed by synthetic items, fresh
  each epoch (``set_epoch``) when ``refresh=True``.
* :func:`augment_batch`: append synthetic samples to a real batch on its device,
  for loops that keep their DataLoader unchanged.

Determinism works like torchvision's ``FakeData``, but in chunks: the items
are grouped in chunks of ``chunk_size`` and chunk ``c`` is drawn with one
``sample(..., random_state=s)`` call whose seed ``s`` depends only on
``(seed, c)``. Whatever the DataLoader's worker count or shuffle order, an
item comes from the same chunk drawn with the same seed, and no global RNG
is touched.
"""
from __future__ import annotations

import numbers
import operator

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted
from torch.utils.data import Dataset

from .core.validation import check_n_samples, check_positive
from .core.plan import labels_to_sample


def derive_seed(*entropy: int) -> int:
    """A 32-bit seed that depends only on the given non-negative ints."""
    return int(np.random.SeedSequence([int(e) for e in entropy]).generate_state(1)[0])


def _check_seed(seed, name: str = "seed") -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"{name} must be an int >= 0; got {seed!r}.")
    return int(seed)


def _rows_as_tensor(X):
    """A chunk of samples in item form: images as they are, tables as float tensors."""
    if isinstance(X, torch.Tensor):
        return X
    if isinstance(X, pd.DataFrame):
        if not all(pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t)
                   for t in X.dtypes):
            raise TypeError(
                "the generator samples a DataFrame with non-numeric columns, which "
                "cannot become float tensors; fit it on numerically encoded features."
            )
        return torch.as_tensor(X.to_numpy(np.float32))
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "biuf":
        return torch.as_tensor(X.astype(np.float32))
    return X  # image arrays keep their container; other kinds (text) pass through


def _sample_every_label(generator, labels: np.ndarray, seed: int, attempts: int = 10):
    """One sample per entry of ``labels``, in their order.

    A curating model (``curate=True``) may return fewer rows than asked when
    too few pass its judge; an item of a dataset must exist, so the missing
    labels are drawn again (with new seeds derived from ``seed``) until each
    has its row, and rows are placed back by label.
    """
    labels = np.asarray(labels)
    X, y = generator.sample(y=labels, random_state=seed)
    if len(y) == len(labels):
        return X
    import warnings

    from .core.containers import concat, take

    got, rows = [X], list(np.asarray(y))
    for attempt in range(1, attempts + 1):
        missing = _still_missing(labels, rows)
        if not len(missing):
            break
        with warnings.catch_warnings():  # shortfalls are made up here
            warnings.simplefilter("ignore", UserWarning)
            X, y = generator.sample(y=missing, random_state=derive_seed(seed, attempt))
        got.append(X)
        rows += list(np.asarray(y))
    else:
        raise RuntimeError(
            f"the generator's curation kept too few samples of {sorted(set(missing.tolist()))} "
            f"after {attempts} draws; lower its min_confidence or sample with curate=False."
        )
    queues: dict = {}
    for i, v in enumerate(rows):
        queues.setdefault(v, []).append(i)
    # the k-th request of a label takes the k-th row drawn for it
    order = [queues[label].pop(0) for label in labels.tolist()]
    return take(concat(got), order)


def _still_missing(labels: np.ndarray, drawn: list) -> np.ndarray:
    """Labels requested more often than drawn, as many times as they lack."""
    want = dict(zip(*np.unique(labels, return_counts=True)))
    have = dict(zip(*np.unique(np.asarray(drawn), return_counts=True))) if drawn else {}
    return np.asarray([c for c, n in want.items() for _ in range(n - have.get(c, 0))],
                      dtype=labels.dtype)


def _label_item(value):
    return value.item() if isinstance(value, np.generic) else value


class SyntheticDataset(Dataset):
    """A map-style Dataset of samples drawn from a fitted synthaug model.

    Parameters
    ----------
    generator : fitted synthaug model (ImageVAE, ImageGAN, TabularVAE, ...)
    n_samples : int >= 1, or None when ``y`` is an array or a dict
    y : None, a label, an array of labels or a dict ``{label: count}``
        As for ``generator.sample``; None follows the training class
        proportions. Labels not given item by item are shuffled (from
        ``seed``), so an unshuffled loader still sees mixed classes.
    transform, target_transform : callable, optional
        Applied to each sample / label when an item is read (never cached).
    seed : int >= 0, default=0
        For a given model, ``n_samples``, ``y`` and ``chunk_size``, item ``i``
        is a pure function of ``(seed, i)``: the same in any access order,
        shuffle or worker count.
    chunk_size : int, optional
        Items generated per model call and cached together; defaults to the
        model's own device batch (at most 4096). Chunk ``c`` is drawn with a
        seed derived from ``(seed, c)``, so changing it changes the items.

    Notes
    -----
    Items are images in the model's container (a tensor or an array, as in
    fit) or, for tabular models, float32 tensor rows; labels are plain
    Python values. Every generated chunk stays cached. With ``num_workers >
    0`` each worker draws the chunks it reads (identical in every worker);
    call :meth:`materialize` first to draw them once in the main process. A
    model on a GPU is always materialised at construction, so DataLoader
    workers never initialise CUDA.
    """

    def __init__(self, generator, n_samples, y=None, *, transform=None,
                 target_transform=None, seed=0, chunk_size=None):
        check_is_fitted(generator, "device_")
        self.generator = generator
        self.seed = _check_seed(seed)
        self.transform, self.target_transform = transform, target_transform
        if isinstance(y, torch.Tensor):
            y = y.detach().cpu().numpy()  # label lookup reads numpy values, not 0-d tensors
        if generator.conditional_:
            idx = labels_to_sample(n_samples, y, generator.classes_, generator.class_counts_)
            if y is None or np.ndim(y) == 0 or isinstance(y, dict):
                idx = idx[np.random.default_rng(self.seed).permutation(len(idx))]
            self.labels = generator.classes_[idx]
        else:
            if y is not None or target_transform is not None:
                raise ValueError(
                    "y/target_transform given but the generator was fitted without "
                    "labels; refit it with fit(X, y) to draw labelled items."
                )
            self.labels = None
        self.n_samples = len(self.labels) if self.labels is not None else check_n_samples(n_samples)
        default = min(4096, generator.sample_batch_size_)
        self.chunk_size = default if chunk_size is None else check_n_samples(chunk_size, "chunk_size")
        self._cache: dict = {}
        if generator.device_.type != "cpu":
            self.materialize()

    @property
    def n_chunks(self) -> int:
        return -(-self.n_samples // self.chunk_size)

    def __len__(self) -> int:
        return self.n_samples

    def _chunk(self, c: int):
        if c not in self._cache:
            start, stop = c * self.chunk_size, min((c + 1) * self.chunk_size, self.n_samples)
            rs = derive_seed(self.seed, c)
            if self.labels is None:
                X = self.generator.sample(stop - start, random_state=rs)
            else:
                X = _sample_every_label(self.generator, self.labels[start:stop], rs)
            self._cache[c] = _rows_as_tensor(X)
        return self._cache[c]

    def materialize(self) -> "SyntheticDataset":
        """Draw every chunk now (in this process); returns self."""
        for c in range(self.n_chunks):
            self._chunk(c)
        return self

    def __getitem__(self, index):
        i = operator.index(index)
        if i < 0:
            i += self.n_samples
        if not 0 <= i < self.n_samples:
            raise IndexError(f"index {index} is out of range for {self.n_samples} items.")
        c, j = divmod(i, self.chunk_size)
        sample = self._chunk(c)[j]
        # a copy, so an in-place transform cannot change the cached chunk
        if isinstance(sample, torch.Tensor):
            sample = sample.clone()
        elif isinstance(sample, np.ndarray):
            sample = sample.copy()
        if self.transform is not None:
            sample = self.transform(sample)
        if self.labels is None:
            return sample
        label = _label_item(self.labels[i])
        if self.target_transform is not None:
            label = self.target_transform(label)
        return sample, label

    def __getstate__(self):
        state = dict(vars(self))
        if len(state["_cache"]) == self.n_chunks:
            # fully drawn: spawned workers need no model (and no CUDA)
            state["generator"] = None
        return state

    def __repr__(self) -> str:
        model = type(self.generator).__name__ if self.generator is not None else "generator"
        lines = [f"SyntheticDataset({model}, n_samples={self.n_samples}, seed={self.seed})"]
        if self.labels is not None:
            values, counts = np.unique(self.labels, return_counts=True)
            shown = ", ".join(f"{v!r}: {k}" for v, k in list(zip(values.tolist(), counts))[:10])
            more = ", ..." if len(values) > 10 else ""
            lines.append(f"    Label counts: {{{shown}{more}}}")
        lines.append(f"    Chunks: {len(self._cache)} of {self.n_chunks} drawn "
                     f"(chunk_size={self.chunk_size})")
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)


def _conform(value, like):
    """``value`` in the container and dtype of ``like`` (a real item's field)."""
    if isinstance(like, torch.Tensor):
        return torch.as_tensor(value).to(like.dtype)
    if isinstance(like, np.ndarray):
        return np.asarray(value, dtype=like.dtype)
    if isinstance(like, np.generic):
        return np.asarray(value).astype(like.dtype)[()]
    if isinstance(like, numbers.Integral) and isinstance(value, numbers.Integral):
        return int(value)
    return value


class AugmentedDataset(Dataset):
    """A real dataset followed by synthetic items from a fitted model.

    Parameters
    ----------
    dataset : map-style Dataset
        The real data: items ``(x, label)`` (or bare ``x`` for an
        unconditional model). Returned untouched but for ``transform``.
    generator : fitted synthaug model
        Usually fitted on ``dataset`` itself (``ImageVAE().fit(dataset)``);
        tabular models work too when the real items are feature tensors.
    ratio : float >= 0, default=1.0
        ``round(ratio * len(dataset))`` synthetic items follow the real ones,
        in the generator's training class proportions.
    transform : callable, optional
        Applied to the ``x`` of real and synthetic items alike.
    refresh : bool, default=True
        ``set_epoch(e)`` draws new synthetic items for epoch ``e``
        (deterministically from ``(seed, e)``); False keeps one set.
    seed : int >= 0, default=0

    Notes
    -----
    Synthetic samples and labels are converted to the container and dtype of
    the first real item, so the default collate can stack mixed batches. Call
    ``set_epoch`` before each epoch's iteration; DataLoader workers pick it up
    unless ``persistent_workers=True`` (they keep the state of their start).
    """

    def __init__(self, dataset, generator, ratio=1.0, *, transform=None, refresh=True, seed=0):
        check_is_fitted(generator, "device_")
        check_positive(ratio, "ratio", allow_zero=True)
        if not isinstance(refresh, (bool, np.bool_)):
            raise TypeError(f"refresh must be True or False; got {refresh!r}.")
        self.dataset, self.generator = dataset, generator
        self.ratio, self.transform, self.refresh = ratio, transform, bool(refresh)
        self.seed = _check_seed(seed)
        self.n_real = len(dataset)
        if self.n_real == 0:
            raise ValueError("dataset is empty; AugmentedDataset needs real items to extend.")
        self.n_synthetic = int(round(float(ratio) * self.n_real))
        template = dataset[0]
        self._labelled = isinstance(template, (tuple, list))
        if self._labelled and not generator.conditional_:
            raise ValueError(
                "dataset yields (x, label) items but the generator was fitted without "
                "labels; fit it with labels (for example on the dataset itself)."
            )
        self._like = tuple(template) if self._labelled else (template,)
        self.epoch = 0
        self._synthetic = self._draw()

    def _draw(self):
        if self.n_synthetic == 0:
            return None
        seed = derive_seed(self.seed, self.epoch) if self.refresh else derive_seed(self.seed, 0)
        return SyntheticDataset(self.generator, self.n_synthetic, seed=seed)

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s synthetic items (new ones when ``refresh``)."""
        epoch = _check_seed(epoch, "epoch")
        if epoch != self.epoch:
            self.epoch = epoch
            if self.refresh:
                self._synthetic = self._draw()

    def __len__(self) -> int:
        return self.n_real + self.n_synthetic

    def __getitem__(self, index):
        i = operator.index(index)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"index {index} is out of range for {len(self)} items.")
        if i < self.n_real:
            item = self.dataset[i]
            fields = list(item) if self._labelled else [item]
        else:
            drawn = self._synthetic[i - self.n_real]
            drawn = drawn if isinstance(drawn, tuple) else (drawn,)
            fields = [_conform(v, like) for v, like in zip(drawn, self._like)]
        if self.transform is not None:
            fields[0] = self.transform(fields[0])
        return tuple(fields) if self._labelled else fields[0]

    def __repr__(self) -> str:
        return (f"AugmentedDataset({self.n_real} real + {self.n_synthetic} synthetic items "
                f"from {type(self.generator).__name__}, ratio={self.ratio}, "
                f"refresh={self.refresh}, seed={self.seed}, epoch={self.epoch})")


def augment_batch(generator, x, y=None, ratio=1.0, *, seed=None):
    """Append synthetic samples to a real batch, on the batch's device.

    Parameters
    ----------
    generator : fitted synthaug model
        Fitted on data shaped like one item of ``x``.
    x : Tensor of shape (B, ...)
    y : Tensor of shape (B,), optional
        Labels; required for a model fitted with labels. The synthetic labels
        repeat the batch's own, so the batch keeps its class mix.
    ratio : float >= 0, default=1.0
        ``round(ratio * B)`` synthetic samples are appended.
    seed : int >= 0 or None
        None draws fresh samples on every call; an int (e.g. the step
        number) makes the call reproducible.

    Returns
    -------
    x_aug, or ``(x_aug, y_aug)`` when ``y`` is given: real rows first.
    """
    check_is_fitted(generator, "device_")
    check_positive(ratio, "ratio", allow_zero=True)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch tensor (a batch); got {type(x).__name__}.")
    if generator.conditional_ != (y is not None):
        raise ValueError(
            "y is required: the generator was fitted with labels." if y is None else
            "y was given but the generator was fitted without labels; pass x alone."
        )
    n = int(round(float(ratio) * len(x)))
    if n == 0:
        return x if y is None else (x, y)
    rs = derive_seed(*np.random.SeedSequence().generate_state(2)) if seed is None else _check_seed(seed)
    if generator.conditional_:
        labels = np.asarray(y.detach().cpu()) if isinstance(y, torch.Tensor) else np.asarray(y)
        if len(labels) != len(x):
            raise ValueError(f"x has {len(x)} rows but y has {len(labels)}; pass one label per row.")
        X_syn, y_syn = generator.sample(y=labels[np.arange(n) % len(labels)], random_state=rs)
    else:
        X_syn, y_syn = generator.sample(n, random_state=rs), None
    X_syn = torch.as_tensor(_rows_as_tensor(X_syn)).to(device=x.device, dtype=x.dtype)
    if X_syn.shape[1:] != x.shape[1:]:
        raise ValueError(
            f"x holds items of shape {tuple(x.shape[1:])} but the generator samples "
            f"{tuple(X_syn.shape[1:])}; fit it on data shaped like x."
        )
    x_aug = torch.cat([x, X_syn])
    if y is None:
        return x_aug
    like = y if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    y_syn = torch.as_tensor(np.asarray(y_syn)).to(device=like.device, dtype=like.dtype)
    return x_aug, torch.cat([like, y_syn])
