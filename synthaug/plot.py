"""Pictures of what an image model generates: a PNG grid, one row per class.

The PNG is written by a small encoder (``zlib`` + ``struct``) so that no
plotting library becomes a dependency; files are written under a temporary
name and renamed, so a reader never sees half a picture.
"""
from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .core.files import atomic_open
from .core.validation import check_n_samples
from .codecs.image import ImageCodec

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Grid cells are enlarged (nearest neighbour) to at least this many pixels a
# side: an 8x8 digit is a smudge at its own size.
_MIN_CELL = 32


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bytes(pixels: np.ndarray) -> bytes:
    """Encode ``uint8`` pixels ``(H, W)`` (grey) or ``(H, W, 3)`` (RGB) as PNG."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3) or (
        pixels.ndim == 3 and pixels.shape[2] != 3
    ):
        raise ValueError(
            f"pixels must be uint8 of shape (H, W) or (H, W, 3); got {pixels.dtype} {pixels.shape}."
        )
    h, w = pixels.shape[:2]
    colour_type = 0 if pixels.ndim == 2 else 2
    header = struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0)
    rows = np.ascontiguousarray(pixels).reshape(h, -1)
    # filter type 0 (none) before every scanline, as the format requires
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()
    return (_PNG_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def write_png(path, pixels: np.ndarray) -> Path:
    """Write ``pixels`` to ``path`` as PNG, atomically; returns the path."""
    data = png_bytes(pixels)
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"path's folder {str(folder)!r} does not exist; create it first.")
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return path


def image_grid(images: np.ndarray, n_cols: int, *, pad: int = 2, scale: int = 1,
               background: int = 128) -> np.ndarray:
    """Tile ``(N, C, H, W)`` floats in ``[0, 1]`` into a ``uint8`` picture.

    Images fill rows of ``n_cols`` left to right; cells are enlarged
    ``scale`` times and separated by ``pad`` pixels of ``background``.
    """
    n, c, h, w = images.shape
    cells = np.rint(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)
    cells = cells.repeat(scale, axis=2).repeat(scale, axis=3)
    ch, cw = h * scale, w * scale
    n_rows = math.ceil(n / n_cols)
    grid = np.full((c, pad + n_rows * (ch + pad), pad + n_cols * (cw + pad)), background, np.uint8)
    for k in range(n):
        r, q = divmod(k, n_cols)
        top, left = pad + r * (ch + pad), pad + q * (cw + pad)
        grid[:, top : top + ch, left : left + cw] = cells[k]
    return grid[0] if c == 1 else np.moveaxis(grid, 0, -1)


def sample_grid(generator, per_class: int = 8, path="samples.png", *, random_state=0,
                scale=None, pad: int = 2) -> np.ndarray:
    """Sample ``per_class`` images of every class and save them as a PNG grid.

    Parameters
    ----------
    generator : fitted ImageVAE or ImageGAN
    per_class : int >= 1, default=8
        Images per row. Rows follow ``generator.classes_`` in order (an
        unconditional model gives one row).
    path : str or Path, default="samples.png"
        Written atomically; the folder must exist.
    random_state : int, RandomState or None, default=0
        Passed to ``sample``; the same value draws the same picture.
    scale : int, optional
        Pixel enlargement; by default cells are at least 32 pixels a side.
    pad : int, default=2
        Grey pixels between cells.

    Returns
    -------
    ndarray of uint8, ``(H, W)`` or ``(H, W, 3)``: the picture written.
    """
    check_is_fitted(generator, "device_")
    codec = getattr(generator, "codec_", None)
    if not isinstance(codec, ImageCodec):
        raise TypeError(
            f"generator must be a fitted image model (ImageVAE, ImageGAN); got "
            f"{type(generator).__name__}."
        )
    per_class = check_n_samples(per_class, "per_class")
    if generator.conditional_:
        X, _ = generator.sample(y=np.repeat(generator.classes_, per_class),
                                random_state=random_state)
    else:
        X = generator.sample(per_class, random_state=random_state)
    _, h, w = codec.shape_
    if scale is None:
        scale = max(1, math.ceil(_MIN_CELL / min(h, w)))
    grid = image_grid(codec.to_unit(X), per_class, pad=pad, scale=check_n_samples(scale, "scale"))
    write_png(path, grid)
    return grid
