"""Saving a fitted model to a file and loading it back.

A model class registers itself here when it is defined (see
``BaseAugmenter.__init_subclass__``), so loading finds the class a file
names without this module importing any model. A file holds the
constructor parameters, the estimator's own fitted state and its parts'
(codec, engine, curator), each as JSON config plus arrays
(:mod:`synthaug.core.fileformat`).
"""
from __future__ import annotations

import numpy as np
import torch

from .._version import __version__
from . import fileformat
from .validation import resolve_device

_REGISTRY: dict[str, type] = {}
PARTS = ("codec", "engine", "curator")


def register(cls: type) -> None:
    """Make ``load`` able to rebuild models of class ``cls`` (by its name)."""
    _REGISTRY[cls.__name__] = cls


def save_model(est, path):
    """Write the fitted ``est`` to ``path``; returns the path."""
    params, arrays = fileformat.params_to_json(est.get_params())
    state = {"base": _base_state(est)}
    for name in PARTS:
        part = getattr(est, name + "_")
        if part is not None:
            config, part_arrays = part.state()
            state[name] = config
            arrays.update({f"{name}.{k}": v for k, v in part_arrays.items()})
    doc = {"synthaug_version": __version__, "class": type(est).__name__,
           "params": params, "state": state}
    return fileformat.write(path, doc, arrays)


def _base_state(est) -> dict:
    state = {"conditional": est.conditional_, "class_counts": est.class_counts_.tolist(),
             "history": est.history_, "n_unlabelled": est.n_unlabelled_}
    if est.conditional_:
        state["classes"] = est.classes_.tolist()
        state["target_name"] = est.target_name_
        state["classes_dtype"] = (est.classes_.dtype.str if est.classes_.dtype != object
                                  else "O")
    return state


def _restore(est, state: dict, arrays: dict, device: torch.device) -> None:
    """Give ``est`` (built from the file's parameters) the fitted state the
    file holds."""
    base, parts = state["base"], est._make_parts()
    fitted = {"conditional_": bool(base["conditional"]), "device_": device,
              "class_counts_": np.asarray(base["class_counts"], dtype=np.int64),
              "history_": base["history"], "n_unlabelled_": int(base["n_unlabelled"])}
    if fitted["conditional_"]:
        fitted["classes_"] = np.array(base["classes"], dtype=np.dtype(base["classes_dtype"]))
        fitted["target_name_"] = base["target_name"]
    n_classes = len(fitted.get("classes_", ()))
    parts.codec.restore(state["codec"], _members(arrays, "codec"))
    parts.engine.restore(state["engine"], _members(arrays, "engine"), parts.codec.layout,
                         n_classes, device)
    if parts.curator is not None:
        parts.curator.restore(state["curator"], _members(arrays, "curator"))
    fitted.update(codec_=parts.codec, engine_=parts.engine, curator_=parts.curator,
                  **parts.codec.fitted_attributes())
    est._set_fitted(fitted)


def _members(arrays: dict, prefix: str) -> dict:
    n = len(prefix) + 1
    return {k[n:]: v for k, v in arrays.items() if k.startswith(prefix + ".")}


def load(path, *, device="auto"):
    """Load a model written by ``save``; never executes pickled code.

    Parameters
    ----------
    path : str or Path
    device : "auto", "cpu", "cuda" or torch.device
        Where to put the networks; "auto" picks CUDA when present, so a model
        trained on a GPU loads on a CPU-only machine.
    """
    doc, arrays = fileformat.read(path)
    name = doc.get("class")
    if not isinstance(name, str) or name not in _REGISTRY:
        raise fileformat.ModelFileError(
            f"{str(path)!r} holds unknown model class {name!r:.60}; known: "
            f"{sorted(_REGISTRY)} (import the module that defines it first)."
        )
    device = resolve_device(device)
    try:
        params = fileformat.params_from_json(doc["params"], arrays)
        est = _REGISTRY[name](**params)
        _restore(est, doc["state"], arrays, device)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError) as err:
        raise fileformat.ModelFileError(
            f"{str(path)!r} is corrupt ({type(err).__name__}: {str(err)[:120]}); "
            "re-save the model."
        ) from None
    return est
