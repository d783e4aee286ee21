"""What every engine is: training and sampling of one generator family on
encoded tensors, and the state it saves.

An engine never sees the user's data: the codec hands it the encoded
training set and a *layout* (what the nets need to know of the encoding:
tabular spans, the image shape, the token ids), the estimator core hands it
seeds, devices and sampling requests. Engines of one family (VAE, GAN,
language model) serve every modality; the modality's differences live in
the nets and in the conditioning (see :mod:`synthaug.engines.conditioning`).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class TrainingSet:
    """The encoded training data an engine fits on.

    Attributes
    ----------
    M : ndarray or list of ndarray
        The codec's encoding: a float matrix (tables), ``(N, C, H, W)``
        floats (images) or token id arrays (texts).
    y_idx : ndarray of int or None
        Class index per row, -1 for an unlabelled row; None without labels.
    labels : ndarray or None
        What the label part of each row's training condition is: ``y_idx``,
        or class probabilities per row (soft pseudo-labels of unlabelled
        rows), see :mod:`synthaug.core.semi`.
    n_classes : int
        0 for an unconditional model.
    layout : object
        The codec's description of the encoding (its ``layout``).
    """

    M: object
    y_idx: np.ndarray | None
    labels: np.ndarray | None
    n_classes: int
    layout: object


class Engine:
    """Base of the engines: pickling and device moves of their modules.

    Subclasses implement ``fit(data, seed, device, desc, verbose) ->
    history``, ``sample(y, noise, condition, temperature, options) ->
    Tensor``, ``rows_per_call(device)``, ``state() -> (config, arrays)`` and
    ``restore(config, arrays, layout, n_classes, device)``; the sampling
    network is ``net``. ``class_counts_given(condition)`` answers for
    engines that support ``sample(conditions=...)``.
    """

    net: torch.nn.Module

    def class_counts_given(self, condition) -> np.ndarray:
        raise NotImplementedError

    def to(self, device: torch.device) -> "Engine":
        for name, value in vars(self).items():
            if isinstance(value, torch.nn.Module):
                setattr(self, name, value.to(device))
        return self

    def __getstate__(self):
        # torch modules travel on the CPU (skorch's convention), so a pickle
        # made on a GPU machine loads on a CPU-only one; the estimator moves
        # them back to its device after unpickling.
        return {k: (copy.deepcopy(v).cpu() if isinstance(v, torch.nn.Module) else v)
                for k, v in vars(self).items()}


def module_arrays(prefix: str, module: torch.nn.Module) -> dict:
    """A module's state_dict as CPU numpy arrays under ``prefix.``.

    Floats that numpy lacks (bfloat16) travel as float32 and are cast back
    by :func:`load_module_arrays`.
    """
    out = {}
    for k, v in module.state_dict().items():
        v = v.detach().cpu()
        out[f"{prefix}.{k}"] = (v.float() if v.dtype == torch.bfloat16 else v).numpy()
    return out


def load_module_arrays(prefix: str, module: torch.nn.Module, arrays: dict) -> None:
    """Load what :func:`module_arrays` wrote into ``module`` (strictly: a
    missing or extra array is an error), casting to the module's dtypes."""
    n = len(prefix) + 1
    current = module.state_dict()
    module.load_state_dict({
        k[n:]: torch.from_numpy(np.asarray(v)).to(current[k[n:]].dtype if k[n:] in current
                                                  else torch.from_numpy(np.asarray(v)).dtype)
        for k, v in arrays.items() if k.startswith(prefix + ".")
    })
