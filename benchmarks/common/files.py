"""Result files: where a run's CSV and JSON sidecar live and how they are read.

Per-row CSVs are committed gzip-compressed (``NAME.csv.gz``, written
deterministically so a rewrite of the same rows is the same file); readers
also take a plain ``NAME.csv`` (a hand-made or older file). The sidecar of
``NAME.csv[.gz]`` is ``NAME.json``.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .pages import RESULTS

SUFFIXES = (".csv.gz", ".csv")


def stem(path: Path) -> str:
    """The run name of a CSV path (``full.csv.gz`` -> ``full``)."""
    name = Path(path).name
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return Path(path).stem


def csv_path(out: Path, name: str) -> Path:
    """Where a run called ``name`` writes its rows."""
    return Path(out) / f"{name}.csv.gz"


def find_csv(out: Path, name: str) -> Path:
    """The rows of run ``name`` in ``out``: the compressed file, else a plain one."""
    for suffix in SUFFIXES:
        path = Path(out) / f"{name}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no {name}.csv.gz or {name}.csv in {out}")


def sidecar(csv: Path) -> Path:
    """The JSON sidecar next to a CSV."""
    return Path(csv).with_name(stem(csv) + ".json")


def read_rows(path: Path) -> pd.DataFrame:
    """A result CSV, plain or gzip-compressed.

    pandas' default float parser, which may miss a float's last digit, as
    every committed page was rendered with it: a mean of differences that
    is zero to 1e-17 keeps the sign it had then.
    """
    return pd.read_csv(path)


def write_rows(df: pd.DataFrame, path: Path) -> Path:
    """Write a result CSV; ``.gz`` paths without a timestamp in the header,
    so that the same rows always give the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    compression = {"method": "gzip", "mtime": 0} if path.name.endswith(".gz") else None
    df.to_csv(path, index=False, compression=compression)
    return path


__all__ = ["RESULTS", "csv_path", "find_csv", "read_rows", "sidecar", "stem", "write_rows"]
