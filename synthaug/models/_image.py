"""The image half of a model: input checks, codec fitting, decoding, concatenation."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch.utils.data import Dataset

from ..codecs.image import (
    ImageCodec,
    check_images,
    dataset_to_arrays,
    image_codec_from_state,
    image_codec_state,
)


def _labels_to_numpy(y):
    # check_y_fit reads labels with np.asarray, which cannot read a CUDA tensor
    return y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y


class ImageMixin:
    """Hooks of BaseAugmenter for image batches (arrays, tensors or Datasets)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # images are (N, C, H, W) or (N, H, W), never a 2-d table
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

    @property
    def _sample_chunk(self) -> int:
        # A conv decoder holds about `width` activations per output pixel;
        # keep one device call near 2**25 floats (~128 MB) whatever the size.
        c, h, w = self.image_shape_
        return int(min(8192, max(64, 2**25 // (h * w * max(c, self.width) * 4))))

    def fit(self, X, y=None):
        """Fit the generator on images (class-conditional when labels are given).

        Parameters
        ----------
        X : ndarray or Tensor of shape (N, C, H, W) or (N, H, W), or a Dataset
            Sides from 8 to 64 pixels, 1 or 3 channels. A map-style
            ``torch.utils.data.Dataset`` yielding ``(image, label)`` (or bare
            images) is stacked first; its labels are used as ``y``.
        y : array-like or Tensor of shape (N,), optional
            Class labels; not allowed with a Dataset that yields labels.

        Returns
        -------
        self
        """
        if isinstance(X, Dataset):
            X, y_ds = dataset_to_arrays(X)
            if y_ds is not None and y is not None:
                raise ValueError(
                    "y was given but X is a Dataset that yields (image, label) pairs; "
                    "pass y=None to use the Dataset's labels."
                )
            y = y_ds if y_ds is not None else y
        return super().fit(X, _labels_to_numpy(y))

    def fit_resample(self, X, y):
        """Fit on ``(X, y)``; return real images followed by synthetic ones.

        ``X`` is an array or tensor (not a Dataset: use
        :class:`synthaug.AugmentedDataset` for those); the result has the same
        container, dtype and layout, and ``y`` comes back as ``y``'s type.
        """
        if isinstance(X, Dataset):
            raise TypeError(
                "fit_resample needs X as an array or tensor; for a Dataset use "
                "synthaug.AugmentedDataset(dataset, model.fit(dataset))."
            )
        X_res, y_res = super().fit_resample(X, _labels_to_numpy(y))
        if isinstance(y, torch.Tensor):
            y_res = torch.as_tensor(y_res, dtype=y.dtype, device=y.device)
        return X_res, y_res

    def _check_input(self, X) -> int:
        return check_images(X)[0]

    def _encode_fit(self, X) -> np.ndarray:
        self.codec_ = ImageCodec().fit(X)
        self.image_shape_ = self.codec_.shape_
        return self.codec_.transform(X)

    def _decode(self, T: torch.Tensor):
        return self.codec_.inverse_transform(T.float().cpu().numpy())

    def _concat(self, parts, real_first: bool = False):
        codec = self.codec_
        if codec.container_ == "tensor":
            # the caller's (real) tensor sets the device; new tensors, never views
            device = parts[0].device if isinstance(parts[0], torch.Tensor) else "cpu"
            dtype = getattr(torch, codec.dtype_)
            return torch.cat([torch.as_tensor(p).to(device=device, dtype=dtype) for p in parts])
        dtype = np.dtype(codec.dtype_)
        return np.concatenate([np.asarray(p, dtype=dtype) for p in parts])

    def _codec_state(self) -> dict:
        return image_codec_state(self.codec_)

    def _set_codec_state(self, config: dict) -> None:
        self.codec_ = image_codec_from_state(config)
        self.image_shape_ = self.codec_.shape_

    # ---- sampling and persistence, shared by both image models. The sampling
    # network lives at ``<_net_name>_`` and its arrays are saved under the
    # ``<_net_name>`` prefix (ImageGAN: "generator", so files it saved before
    # still load); ``_build_sampling_net()`` rebuilds it on load.
    _net_name = "net"

    def _sampling_net(self) -> torch.nn.Module:
        return getattr(self, self._net_name + "_")

    def _sample_encoded(self, y_idx, noise, condition) -> torch.Tensor:
        net = self._sampling_net()
        net.eval()
        return net.sample(y_idx, noise)

    def _get_state(self):
        state = {"base": self._base_state(), "codec": self._codec_state()}
        return state, module_arrays(self._net_name, self._sampling_net())

    def _set_state(self, state, arrays, device) -> None:
        self._set_base_state(state["base"], device)
        self._set_codec_state(state["codec"])
        net = self._build_sampling_net()
        load_module_arrays(self._net_name, net, arrays)
        setattr(self, self._net_name + "_", net.to(device).eval())

    def _net_dims(self) -> dict:
        c, h, w = self.image_shape_
        n_classes = len(self.classes_) if self.conditional_ else 0
        return dict(channels=c, h=h, w=w, n_classes=n_classes, width=self.width)


def batch_indices(n: int, batch_size: int, generator, device, drop_last: bool = False):
    """Shuffled index batches for one epoch, drawn from ``generator``.

    ``drop_last`` drops a final short batch (a GAN's batch-norm statistics
    on a handful of images are noise) unless it is the only batch.
    """
    bs = min(batch_size, n)
    perm = torch.randperm(n, generator=generator, device=device)
    stop = (n // bs) * bs if drop_last else n
    return [perm[s : s + bs] for s in range(0, stop, bs)]


def check_finite(values, model: str) -> None:
    if not all(math.isfinite(v) for v in values):
        raise FloatingPointError(
            f"{model} training diverged (non-finite loss); lower learning_rate "
            "or check X for extreme values."
        )


def module_arrays(prefix: str, module: torch.nn.Module) -> dict:
    """A module's state_dict as CPU numpy arrays under ``prefix.``."""
    return {f"{prefix}.{k}": v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def load_module_arrays(prefix: str, module: torch.nn.Module, arrays: dict) -> None:
    n = len(prefix) + 1
    module.load_state_dict(
        {k[n:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith(prefix + ".")}
    )
