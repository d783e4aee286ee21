"""How many synthetic rows of which class: ``sampling_strategy`` and ``y`` specs.

``sampling_strategy`` follows imbalanced-learn's over-sampling meanings
exactly, so an estimator drops into ``imblearn.pipeline.Pipeline``:

* float (binary only): desired ``n_minority / n_majority`` after resampling;
* ``'minority'``: raise the minority class to the majority count;
* ``'not minority'``, ``'not majority'``, ``'all'``: likewise for those classes;
  ``'auto'`` is ``'not majority'``;
* dict ``{label: n}``: the number of rows each class should have afterwards;
* callable ``f(y) -> dict`` of that form.

``synthetic_ratio`` (synthaug's own) enlarges balanced or imbalanced data
alike: each class ``c`` gains ``round(synthetic_ratio * n_c)`` rows, so the
class proportions stay as they are.
"""
from __future__ import annotations

import numbers

import numpy as np

from .validation import check_n_samples


def new_rows_per_class(
    sampling_strategy, synthetic_ratio, classes: np.ndarray, counts: np.ndarray, y
) -> np.ndarray:
    """Synthetic rows to add for each class of ``classes`` (same order)."""
    if synthetic_ratio is not None:
        return np.round(float(synthetic_ratio) * counts).astype(np.int64)
    strategy = sampling_strategy(y) if callable(sampling_strategy) else sampling_strategy
    n_major = counts.max()
    if isinstance(strategy, numbers.Real) and not isinstance(strategy, bool):
        if len(classes) != 2:
            raise ValueError(
                "sampling_strategy as a float is only available for binary y "
                f"(y has {len(classes)} classes); use a string, a dict or synthetic_ratio."
            )
        if not 0 < strategy <= 1:
            raise ValueError(f"sampling_strategy float must be in (0, 1]; got {strategy}.")
        minority = int(np.argmin(counts))
        want = int(strategy * n_major)
        # imbalanced-learn refuses a ratio that adds no rows, not only one that
        # would remove some; match it so the estimator behaves as a drop-in
        if want <= counts[minority]:
            raise ValueError(
                f"sampling_strategy={strategy} asks for {want} minority rows but "
                f"there are already {counts[minority]}, so no row would be added; "
                "raise the ratio."
            )
        out = np.zeros(len(classes), np.int64)
        out[minority] = want - counts[minority]
        return out
    if isinstance(strategy, str):
        return _from_string(strategy, counts)
    if isinstance(strategy, dict):
        return _from_dict(strategy, classes, counts)
    raise TypeError(
        "sampling_strategy must be a float, one of 'auto', 'minority', 'not minority', "
        f"'not majority', 'all', a dict or a callable; got {sampling_strategy!r}."
    )


def _from_string(strategy: str, counts: np.ndarray) -> np.ndarray:
    gap = counts.max() - counts
    major, minor = int(np.argmax(counts)), int(np.argmin(counts))
    keep = np.ones(len(counts), bool)
    if strategy == "minority":
        keep[:] = False
        keep[minor] = True
    elif strategy == "not minority":
        keep[minor] = False
    elif strategy in ("not majority", "auto"):
        keep[major] = False
    elif strategy != "all":
        raise ValueError(
            f"sampling_strategy={strategy!r} is unknown; use 'auto', 'minority', "
            "'not minority', 'not majority' or 'all'."
        )
    return np.where(keep, gap, 0).astype(np.int64)


def _from_dict(strategy: dict, classes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(classes), np.int64)
    index = {c: i for i, c in enumerate(classes.tolist())}
    for label, target in strategy.items():
        label = label.item() if isinstance(label, np.generic) else label
        if label not in index:
            raise ValueError(
                f"sampling_strategy names class {label!r}, which is not in y "
                f"(classes: {classes.tolist()})."
            )
        i = index[label]
        if not isinstance(target, numbers.Integral) or target < counts[i]:
            raise ValueError(
                f"sampling_strategy[{label!r}]={target!r} must be an int >= the "
                f"{counts[i]} rows class {label!r} already has (it is the count "
                "after over-sampling, as in imbalanced-learn)."
            )
        out[i] = int(target) - counts[i]
    return out


class LabelPlan:
    """Class index of each row to sample, handed out a chunk at a time.

    Stored as runs ``(class index, length)`` where the request allows it
    (``y`` None, one label, a dict), so streaming a billion rows to a file
    never holds a billion labels; an explicit array of labels is kept as is.
    """

    def __init__(self, run_classes: np.ndarray, run_lengths: np.ndarray | None = None):
        if run_lengths is None:  # explicit, one entry per row
            self._explicit, self._n = run_classes, len(run_classes)
            return
        keep = run_lengths > 0
        self._explicit = None
        self._classes = np.asarray(run_classes, np.int64)[keep]
        self._ends = np.cumsum(np.asarray(run_lengths, np.int64)[keep])
        self._n = int(self._ends[-1]) if len(self._ends) else 0

    def __len__(self) -> int:
        return self._n

    def take(self, start: int, stop: int) -> np.ndarray:
        """Class indices of rows ``start:stop``."""
        if self._explicit is not None:
            return self._explicit[start:stop]
        if stop <= start:
            return self._classes[:0]
        # the runs rows start..stop-1 touch, each cut to the range and repeated
        # (a search per row cost about 1 ms per 16k-row chunk)
        first, last = np.searchsorted(self._ends, [start, stop - 1], side="right")
        ends = np.minimum(self._ends[first : last + 1], stop)
        begins = np.concatenate([[start], ends[:-1]])
        return np.repeat(self._classes[first : last + 1], ends - begins)


def plan_labels(n_samples, y, classes: np.ndarray, counts: np.ndarray) -> LabelPlan:
    """Which class each row to sample has, from ``sample``'s ``n_samples``/``y``.

    ``y`` None follows the proportions ``counts`` (largest-remainder
    rounding, deterministic; rows grouped by class); one label gives n rows
    of it; an array gives one row per entry; a dict ``{label: count}`` gives
    count rows of each label, in the dict's order.
    """
    if isinstance(y, dict):
        labels = np.array(list(y.keys()), dtype=object)
        reps = np.array(
            [check_n_samples(v, f"y[{k!r}]") if v != 0 else 0 for k, v in y.items()], np.int64
        )
        plan = LabelPlan(_label_index(labels, classes), reps)
        _check_count(n_samples, len(plan), "the sum of y's counts (y is a dict)")
        return plan
    if y is not None and np.ndim(y) > 0:
        if np.ndim(y) != 1:
            raise ValueError(f"y must be 1-dimensional; got shape {np.shape(y)}.")
        arr = np.asarray(y, dtype=object).ravel()
        _check_count(n_samples, len(arr), "the number of labels in y")
        return LabelPlan(_label_index(arr, classes))
    n = check_n_samples(n_samples)
    if y is not None:
        return LabelPlan(_label_index(np.array([y], dtype=object), classes), np.array([n]))
    quota = n * counts / counts.sum()
    base = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - base), kind="stable")
    base[order[: n - base.sum()]] += 1
    return LabelPlan(np.arange(len(classes)), base)


def _check_count(n_samples, n: int, what: str) -> None:
    """``n_samples`` (if given) must equal ``n``, the rows ``y`` asks for."""
    if n_samples is not None and check_n_samples(n_samples) != n:
        raise ValueError(
            f"n_samples={n_samples} disagrees with {what} ({n}); pass n_samples=None "
            "or that number."
        )
    if n == 0:
        raise ValueError(f"y asks for 0 samples ({what} is 0); ask for at least one.")


def labels_to_sample(n_samples, y, classes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Class index for each row to sample (all rows at once; see :func:`plan_labels`)."""
    plan = plan_labels(n_samples, y, classes, counts)
    return plan.take(0, len(plan))


def _label_index(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes.tolist())}
    uniq, inv = np.unique(labels.astype(str), return_inverse=True)
    firsts = [labels[np.argmax(inv == k)] for k in range(len(uniq))]
    out = []
    for value in firsts:
        key = value.item() if isinstance(value, np.generic) else value
        if key not in index:
            raise ValueError(
                f"y holds label {key!r}, which was not seen in fit; known classes: "
                f"{classes.tolist()}."
            )
        out.append(index[key])
    return np.asarray(out, dtype=np.int64)[inv]
