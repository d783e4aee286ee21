"""Streaming synthetic samples to files with bounded memory.

Tables go to ``.csv`` or ``.npy``, images to ``.npy``, texts to ``.txt`` (one
text per line), ``.jsonl`` (one ``{"text": ..., "label": ...}`` object per
line) or ``.csv``. Used by
:meth:`synthaug.core.estimator.BaseAugmenter.sample_to_file` and the CLI. Each
file is written under a temporary name in the target folder, flushed to disk
and renamed only when complete, so a crash or an error never leaves a
truncated file under the requested name (nor removes an older one).
"""
from __future__ import annotations

import contextlib
import json
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
            f"{argument}={str(path)!r} must end in {' or '.join(suffixes)} for this model; "
            "the suffix chooses the format."
        )
    if not out.parent.is_dir():
        raise FileNotFoundError(
            f"{argument}: output folder {str(out.parent)!r} does not exist; create it first."
        )
    return out


class SampleWriter:
    """Writes ``(decoded samples, class indices)`` chunks of a fitted estimator.

    ``.npy`` and ``.txt`` output of a model fitted with labels writes the
    labels to a second file, ``labels_path`` (default: ``path`` with
    ``.labels.npy`` / ``.labels.txt`` in place of its suffix); ``.csv`` and
    ``.jsonl`` hold them beside each sample.
    """

    SIDE_FILES = {".npy": ".labels.npy", ".txt": ".labels.txt"}

    def __init__(self, path, labels_path, est, suffixes):
        self.path = _check_output(path, "path", suffixes)
        self.suffix = self.path.suffix.lower()
        self.est = est
        self.labelled = bool(est.conditional_)
        self.labels_path = None
        side = self.SIDE_FILES.get(self.suffix)
        if side and self.labelled:
            default = self.path.with_name(self.path.name[: -len(self.suffix)] + side)
            self.labels_path = _check_output(labels_path or default, "labels_path",
                                             (self.suffix,))
        elif labels_path is not None:
            raise ValueError(
                "labels_path is only used for .npy or .txt output of a model fitted with "
                "labels (.csv and .jsonl output hold the labels beside each sample)."
            )

    def write(self, chunks, n_rows: int):
        write = {".csv": self._csv, ".jsonl": self._jsonl}.get(self.suffix)
        if write is not None:
            with atomic_open(self.path, "w", newline="", encoding="utf-8") as fh:
                for i, (X, idx) in enumerate(chunks):
                    write(fh, X, idx, first=i == 0)
            return self.path
        stream = self._npy if self.suffix == ".npy" else self._txt
        with contextlib.ExitStack() as stack:
            mode = "wb" if self.suffix == ".npy" else "w"
            text = {} if mode == "wb" else {"newline": "", "encoding": "utf-8"}
            fx = stack.enter_context(atomic_open(self.path, mode, **text))
            fy = (stack.enter_context(atomic_open(self.labels_path, mode, **text))
                  if self.labelled else None)
            stream(fx, fy, chunks, n_rows)
        return (self.path, self.labels_path) if self.labelled else self.path

    def _labels(self, idx) -> np.ndarray:
        return self.est.classes_[idx]

    def _csv(self, fh, X, idx, first: bool) -> None:
        if isinstance(X, list) or (isinstance(X, np.ndarray) and X.ndim == 1):
            frame = pd.DataFrame({"text": list(X)})  # texts: one column
        elif isinstance(X, pd.Series):
            frame = X.to_frame(X.name if isinstance(X.name, str) else "text")
        elif isinstance(X, pd.DataFrame) or np.ndim(X) == 2:
            frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
        else:
            raise ValueError(
                f"this model draws {np.ndim(X)}-d samples, which a CSV file "
                "cannot hold; write a .npy file instead."
            )
        if self.labelled:  # frame is a fresh chunk of our own: adding a column is safe
            frame[label_column(self.est, frame.columns)] = self._labels(idx)
        frame.to_csv(fh, header=first, index=False)

    def _jsonl(self, fh, X, idx, first: bool) -> None:
        key = label_column(self.est, ["text"])
        labels = self._labels(idx).tolist() if self.labelled else None
        for i, text in enumerate(_texts(X)):
            row = {"text": text} if labels is None else {"text": text, key: labels[i]}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def _txt(self, fx, fy, chunks, n_rows: int) -> None:
        for X, idx in chunks:
            for text in _texts(X):
                if "\n" in text or "\r" in text:
                    raise ValueError(
                        "a generated text contains a line break, which a .txt file (one "
                        "text per line) cannot hold; write .jsonl instead."
                    )
                fx.write(text + "\n")
            if fy is not None:
                fy.writelines(f"{label}\n" for label in self._labels(idx).tolist())

    def _npy(self, fx, fy, chunks, n_rows: int) -> None:
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


def _texts(X) -> list:
    return X.tolist() if isinstance(X, (np.ndarray, pd.Series)) else list(X)


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
