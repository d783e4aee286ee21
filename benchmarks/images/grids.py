"""Sample grids: what seed 0's generators drew, next to the real images they saw."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..common.files import stem


def grid_path(csv: Path, dataset: str, k: int, what: str) -> Path:
    """The PNG of ``what`` (``"real"``, ``"image-vae"``, ``"image-gan"``) for a run."""
    return Path(csv).parent / f"{stem(csv)}_{dataset}_k{k}_{what}.png"


def save_grids(grids: dict, csv: Path) -> None:
    """Write ``{(dataset, k, what): model or (X, y)}`` as PNGs next to the CSV."""
    from synthaug.plot import image_grid, sample_grid, write_png

    for (dataset, k, what), obj in grids.items():
        path = grid_path(csv, dataset, k, what)
        if what == "real":
            X, y = obj
            order = np.argsort(y, kind="stable")
            per = int(np.bincount(y).min())
            keep = np.concatenate([order[y[order] == c][: min(per, 10)] for c in np.unique(y)])
            scale = max(1, -(-32 // X.shape[-1]))
            write_png(path, image_grid(X[keep], min(per, 10), pad=2, scale=scale))
        else:
            sample_grid(obj, per_class=10, path=path, random_state=0)
