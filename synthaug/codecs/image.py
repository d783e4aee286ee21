"""Images <-> model tensors, and back.

The codec accepts numpy arrays or torch tensors of shape ``(N, C, H, W)`` or
``(N, H, W)`` (a map-style ``torch.utils.data.Dataset`` is first stacked into
one of those by :func:`dataset_to_arrays`). It records the container, dtype,
layout and value range, maps pixels to ``[-1, 1]`` float32 ``(N, C, H, W)``
for the networks, and maps generated images back so that samples look like
the input: ``uint8`` 0-255 stays ``uint8``, floats in ``[0, 1]`` stay in
``[0, 1]``, a tensor gives a tensor (on the CPU).

Value range, by input dtype:

* ``uint8``: 0-255 (the convention for 8-bit images, whatever was observed);
* other integer dtypes: the observed minimum and maximum;
* floats: ``[0, 1]`` when every value lies there, else ``[-1, 1]`` when every
  value lies there, else the observed minimum and maximum (for example 0-16
  for scikit-learn's digits).

Generated values are clipped to that range and, for integer dtypes, rounded.
"""
from __future__ import annotations

import numbers

import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.containers import concat
from .base import Codec

MIN_SIDE, MAX_SIDE = 8, 64
CHANNELS = (1, 3)


def _shape_of(X) -> tuple:
    if isinstance(X, (np.ndarray, torch.Tensor)):
        return tuple(X.shape)
    return np.shape(X)


def check_images(X, name: str = "X") -> tuple[int, int, int, int]:
    """Validate an image batch; return ``(N, C, H, W)``.

    Raises ValueError/TypeError naming ``name`` and the fix for the wrong
    container, rank, channel count, side length, dtype or sample count.
    """
    if isinstance(X, (str, bytes)) or not (
        isinstance(X, (np.ndarray, torch.Tensor)) or hasattr(X, "__len__")
    ):
        raise TypeError(
            f"{name} must be a numpy array or torch tensor of shape (N, C, H, W) or "
            f"(N, H, W), or a map-style Dataset of (image, label); got {type(X).__name__}."
        )
    shape = _shape_of(X)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"{name} must be 3-dimensional (N, H, W) or 4-dimensional (N, C, H, W); got "
            f"shape {shape}. A single image needs a leading batch axis (X[None])."
        )
    n, c, h, w = shape if len(shape) == 4 else (shape[0], 1, *shape[1:])
    if c not in CHANNELS:
        hint = (" It looks channels-last; pass X.transpose(0, 3, 1, 2) (numpy) or "
                "X.permute(0, 3, 1, 2) (torch).") if shape[-1] in CHANNELS else ""
        raise ValueError(
            f"{name} has {c} channels (shape {shape}, read as N, C, H, W) but 1 or 3 "
            f"are supported.{hint}"
        )
    if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        raise ValueError(
            f"{name} holds {h}x{w} images but height and width must each lie in "
            f"[{MIN_SIDE}, {MAX_SIDE}]; resize (or pad) the images first."
        )
    if n < 2:
        raise ValueError(
            f"{name} has {n} sample(s) (shape={shape}) while a minimum of 2 is required: "
            "a generative model needs at least 2 images (in practice dozens) to learn from."
        )
    _check_dtype(X, name)
    return n, c, h, w


def _check_dtype(X, name: str) -> None:
    if isinstance(X, torch.Tensor):
        if X.dtype == torch.bool or X.is_complex():
            raise TypeError(f"{name} has dtype {X.dtype}; pass real-valued pixels.")
        return
    kind = np.asarray(X).dtype.kind if not isinstance(X, np.ndarray) else X.dtype.kind
    if kind not in "uif":
        raise TypeError(
            f"{name} has dtype kind {kind!r}; pixels must be integers or floats "
            "(not bool, complex, strings or objects)."
        )


def dataset_to_arrays(dataset, name: str = "X"):
    """Stack a map-style Dataset into ``(images, labels or None)``.

    Items may be ``(image, label)`` pairs or bare images; images must be
    tensors or numpy arrays of one shape (``ToTensor()`` gives that for
    torchvision datasets).
    """
    n = len(dataset)
    if n < 2:
        raise ValueError(f"{name} (a Dataset) has {n} item(s); at least 2 are required.")
    images, labels = [], []
    for i in range(n):
        item = dataset[i]
        paired = isinstance(item, (tuple, list))
        if paired and len(item) != 2:
            raise ValueError(
                f"{name}[{i}] has {len(item)} fields; items must be (image, label) or an image."
            )
        image, label = (item[0], item[1]) if paired else (item, None)
        if not isinstance(image, (torch.Tensor, np.ndarray)):
            raise TypeError(
                f"{name}[{i}] holds a {type(image).__name__} image; the Dataset must yield "
                "tensors or numpy arrays (for torchvision datasets add "
                "transform=torchvision.transforms.ToTensor())."
            )
        images.append(image)
        if i > 0 and (label is not None) != bool(labels):
            raise ValueError(f"{name}[{i}]: some items carry a label and others do not.")
        if label is not None:
            labels.append(label.item() if isinstance(label, (torch.Tensor, np.generic)) else label)
    if len({tuple(im.shape) for im in images}) > 1:
        raise ValueError(f"{name} (a Dataset) yields images of different shapes; resize them.")
    stacked = torch.stack(images) if isinstance(images[0], torch.Tensor) else np.stack(images)
    return stacked, (np.asarray(labels) if labels else None)


class ImageCodec(Codec):
    """Records an image batch's container, dtype, layout and value range.

    Its :attr:`layout` for the nets is the image shape ``(C, H, W)``.

    Attributes (after ``fit``)
    --------------------------
    container_ : "ndarray" or "tensor"
    dtype_ : str
        numpy dtype name (also for tensors: ``torch.<name>`` is read back).
    layout_ : "NCHW" or "NHW"
    shape_ : tuple (C, H, W)
    low_, high_ : float
        The value range mapped to ``[-1, 1]``.
    """

    file_formats = (".npy",)

    @staticmethod
    def prepare(X, y):
        """A map-style Dataset of ``(image, label)`` (or bare images) is
        stacked into arrays; its labels are used as ``y``."""
        if isinstance(X, Dataset):
            X, y_ds = dataset_to_arrays(X)
            if y_ds is not None and y is not None:
                raise ValueError(
                    "y was given but X is a Dataset that yields (image, label) pairs; "
                    "pass y=None to use the Dataset's labels."
                )
            y = y_ds if y_ds is not None else y
        return X, y

    @staticmethod
    def check_input(X) -> int:
        return check_images(X)[0]

    @staticmethod
    def edit_tags(tags) -> None:
        # images are (N, C, H, W) or (N, H, W), never a 2-d table
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X)

    @property
    def layout(self) -> tuple:
        return self.shape_

    def fitted_attributes(self) -> dict:
        return {"image_shape_": self.shape_}

    def decode(self, T, report=None):
        return self.inverse_transform(T.float().cpu().numpy())

    def join(self, parts: list):
        # one part is already a new container of ours: no copy needed
        return parts[0] if len(parts) == 1 else concat(parts)

    def state(self) -> tuple[dict, dict]:
        return image_codec_state(self), {}

    def restore(self, config: dict, arrays: dict) -> None:
        vars(self).update(vars(image_codec_from_state(config)))

    def fit(self, X) -> "ImageCodec":
        _, c, h, w = check_images(X)
        self.container_ = "tensor" if isinstance(X, torch.Tensor) else "ndarray"
        self.layout_ = "NCHW" if len(_shape_of(X)) == 4 else "NHW"
        self.shape_ = (c, h, w)
        if isinstance(X, torch.Tensor):
            self.dtype_ = str(X.dtype).removeprefix("torch.")
            is_int = not (X.is_floating_point())
            lo, hi = (float(v) for v in torch.aminmax(X.detach().float()))
        else:
            arr = np.asarray(X)
            self.dtype_ = arr.dtype.name
            is_int = arr.dtype.kind in "ui"
            lo, hi = float(arr.min()), float(arr.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError("X contains NaN or infinite pixels; fix or drop those images.")
        self.low_, self.high_ = self._range(is_int, lo, hi)
        return self

    def _range(self, is_int: bool, lo: float, hi: float) -> tuple[float, float]:
        if self.dtype_ == "uint8":
            return 0.0, 255.0
        if not is_int and lo >= 0.0 and hi <= 1.0:
            return 0.0, 1.0
        if not is_int and lo >= -1.0 and hi <= 1.0:
            return -1.0, 1.0
        # a constant image set would divide by zero; any positive span decodes it back
        return lo, (hi if hi > lo else lo + 1.0)

    def transform(self, X) -> np.ndarray:
        """Float32 ``(N, C, H, W)`` in ``[-1, 1]``; never a view of ``X``."""
        if isinstance(X, torch.Tensor):
            arr = X.detach().to("cpu", torch.float32).numpy().copy()
        else:
            arr = np.array(X, dtype=np.float32, copy=True)
        if arr.shape[1:] != (self.shape_ if self.layout_ == "NCHW" else self.shape_[1:]):
            raise ValueError(
                f"X has images of shape {arr.shape[1:]} but the model was fitted on "
                f"{self.shape_} ({self.layout_})."
            )
        arr = arr.reshape(len(arr), *self.shape_)
        scale = 2.0 / (self.high_ - self.low_)
        return (arr - np.float32(self.low_)) * np.float32(scale) - np.float32(1.0)

    def inverse_transform(self, M: np.ndarray):
        """Images in the fitted container, dtype, layout and range."""
        x = (np.asarray(M, dtype=np.float64) + 1.0) * (0.5 * (self.high_ - self.low_)) + self.low_
        x = np.clip(x, self.low_, self.high_)
        if self.layout_ == "NHW":
            x = x[:, 0]
        integer = self.dtype_.startswith(("int", "uint"))
        if integer:
            x = np.rint(x)
        if self.container_ == "tensor":
            dtype = getattr(torch, self.dtype_)
            return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64)).to(dtype)
        return np.ascontiguousarray(x.astype(np.dtype(self.dtype_)))

    def to_unit(self, images) -> np.ndarray:
        """Decoded images as float64 ``(N, C, H, W)`` in ``[0, 1]`` (for pictures)."""
        arr = images.detach().cpu().double().numpy() if isinstance(images, torch.Tensor) \
            else np.asarray(images, dtype=np.float64)
        arr = arr.reshape(len(arr), *self.shape_)
        return np.clip((arr - self.low_) / (self.high_ - self.low_), 0.0, 1.0)


def image_codec_state(codec: ImageCodec) -> dict:
    """JSON config of a fitted codec."""
    return {
        "container": codec.container_, "dtype": codec.dtype_, "layout": codec.layout_,
        "shape": list(codec.shape_), "low": codec.low_, "high": codec.high_,
    }


def image_codec_from_state(config: dict) -> ImageCodec:
    codec = ImageCodec()
    codec.container_ = config["container"]
    codec.dtype_ = str(config["dtype"])
    if codec.container_ not in ("tensor", "ndarray") or config["layout"] not in ("NCHW", "NHW"):
        raise ValueError("unknown image container or layout in the model file")
    codec.layout_ = config["layout"]
    codec.shape_ = tuple(int(v) for v in config["shape"])
    low, high = config["low"], config["high"]
    if not all(isinstance(v, numbers.Real) for v in (low, high)) or not high > low:
        raise ValueError("invalid image value range in the model file")
    codec.low_, codec.high_ = float(low), float(high)
    return codec
