"""Streaming synthetic rows to CSV or ``.npy`` files with bounded memory.

Used by :meth:`synthaug.base.BaseAugmenter.sample_to_file` and the CLI. Each
file is written under a temporary name in the target folder, flushed to disk
and renamed only when complete, so a crash or an error never leaves a
truncated file under the requested name (nor removes an older one).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


@contextlib.contextmanager
def atomic_open(path: Path, mode: str, **kwargs):
    """Open a temporary sibling of ``path``; rename it over ``path`` on success."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def label_column(est, columns) -> str:
    """Name of the label column in a CSV: the training target's name (or
    ``"label"``), prefixed with ``_`` until it clashes with no feature."""
    name = getattr(est, "target_name_", None) or "label"
    while name in columns:
        name = "_" + name
    return name


def _check_output(path, argument: str, suffixes) -> Path:
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise ValueError(
            f"{argument}={str(path)!r} must end in {' or '.join(suffixes)}; the "
            "suffix chooses the format."
        )
    if not out.parent.is_dir():
        raise FileNotFoundError(
            f"{argument}: output folder {str(out.parent)!r} does not exist; create it first."
        )
    return out


class SampleWriter:
    """Writes ``(decoded rows, class indices)`` chunks of a fitted estimator."""

    def __init__(self, path, labels_path, est):
        self.path = _check_output(path, "path", (".csv", ".npy"))
        self.est = est
        self.labelled = bool(est.conditional_)
        self.labels_path = None
        if self.path.suffix.lower() == ".npy" and self.labelled:
            default = self.path.with_name(self.path.name[:-4] + ".labels.npy")
            self.labels_path = _check_output(labels_path or default, "labels_path", (".npy",))
        elif labels_path is not None:
            raise ValueError(
                "labels_path is only used for .npy output of a model fitted with "
                "labels (CSV output holds the labels as its last column)."
            )

    def write(self, chunks, n_rows: int):
        if self.path.suffix.lower() == ".csv":
            with atomic_open(self.path, "w", newline="") as fh:
                for i, (X, idx) in enumerate(chunks):
                    if not isinstance(X, pd.DataFrame) and np.ndim(X) != 2:
                        raise ValueError(
                            f"this model draws {np.ndim(X)}-d samples, which a CSV file "
                            "cannot hold; write a .npy file instead."
                        )
                    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
                    if self.labelled:
                        frame[label_column(self.est, frame.columns)] = self.est.classes_[idx]
                    frame.to_csv(fh, header=i == 0, index=False)
            return self.path
        with contextlib.ExitStack() as stack:
            fx = stack.enter_context(atomic_open(self.path, "wb"))
            fy = stack.enter_context(atomic_open(self.labels_path, "wb")) if self.labelled else None
            classes = _label_array(self.est.classes_) if self.labelled else None
            for i, (X, idx) in enumerate(chunks):
                arr = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
                if i == 0:
                    dtype = _npy_dtype(arr.dtype)
                    _write_npy_header(fx, dtype, (n_rows, *arr.shape[1:]))
                    if fy is not None:
                        _write_npy_header(fy, classes.dtype, (n_rows,))
                fx.write(np.ascontiguousarray(arr, dtype=dtype).tobytes())
                if fy is not None:
                    fy.write(np.ascontiguousarray(classes[idx]).tobytes())
        return (self.path, self.labels_path) if self.labelled else self.path


def _npy_dtype(dtype: np.dtype) -> np.dtype:
    if dtype == object:
        raise ValueError(
            "this model decodes to mixed-type (object) rows, which a .npy file "
            "cannot hold without pickle; write a .csv file instead."
        )
    return dtype


def _label_array(classes: np.ndarray) -> np.ndarray:
    # object labels (e.g. strings from a Series) become a fixed-width array
    arr = classes if classes.dtype != object else np.array(classes.tolist())
    _npy_dtype(arr.dtype)
    return arr


def _write_npy_header(fh, dtype: np.dtype, shape: tuple) -> None:
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
              "shape": shape}
    np.lib.format.write_array_header_1_0(fh, header)
