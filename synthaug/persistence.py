"""Model files: a zip holding ``synthaug.json`` (config) and ``.npy`` arrays.

Nothing is ever unpickled: arrays are read with ``allow_pickle=False`` and the
config is plain JSON, so loading a file cannot execute code. The format is
versioned; a file from another major format is refused with a clear message.
"""
from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ._io import atomic_open

FORMAT_NAME = "synthaug-model"
FORMAT_VERSION = 1
CONFIG_NAME = "synthaug.json"


class ModelFileError(ValueError):
    """A model file that cannot be loaded (corrupt, foreign or unsafe)."""


def _registry() -> dict:
    from .models.image_gan import ImageGAN
    from .models.image_vae import ImageVAE
    from .models.tabular_gan import TabularGAN
    from .models.tabular_vae import TabularVAE
    from .models.text_lm import TextLM

    return {"ImageGAN": ImageGAN, "ImageVAE": ImageVAE, "TabularGAN": TabularGAN,
            "TabularVAE": TabularVAE, "TextLM": TextLM}


def save_estimator(est, path) -> None:
    from . import __version__

    config, arrays = est._get_state()
    params = est.get_params()
    if not (params.get("random_state") is None or isinstance(params["random_state"], int)):
        params["random_state"] = None  # a RandomState instance has no JSON form
    for key, value in params.items():
        try:
            params[key] = _param_to_json(value)
        except TypeError:
            raise TypeError(
                f"cannot save this model: parameter {key}={value!r} has no JSON form; "
                "set it to a str, number, bool or None (or a list, tuple or dict "
                "of those) before saving."
            ) from None
    doc = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "synthaug_version": __version__,
        "class": type(est).__name__,
        "params": params,
        "state": config,
    }
    try:
        text = json.dumps(doc, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"this model holds a value that cannot be saved as JSON ({err}); "
            "use plain str/int/float/bool categories and labels."
        ) from None
    # temp file + fsync + rename: an existing model file is never left half-written
    with atomic_open(Path(path), "wb") as fh:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(CONFIG_NAME, text)
            for name, arr in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
                zf.writestr(f"arrays/{name}.npy", buf.getvalue())


def load(path, *, device="auto"):
    """Load a model written by ``save``; never executes pickled code.

    Parameters
    ----------
    path : str or Path
    device : "auto", "cpu", "cuda" or torch.device
        Where to put the networks; "auto" picks CUDA when present, so a model
        trained on a GPU loads on a CPU-only machine.
    """
    from ._validation import resolve_device

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist.")
    with open(path, "rb") as fh:
        head = fh.read(2)
    if not zipfile.is_zipfile(path):
        what = "a Python pickle" if head[:1] == b"\x80" else "not a synthaug model file"
        raise ModelFileError(
            f"{str(path)!r} is {what}; synthaug loads only files written by "
            "est.save(path) and never unpickles (pickles can run code)."
        )
    try:
        with zipfile.ZipFile(path) as zf:
            doc = json.loads(zf.read(CONFIG_NAME))
            _check_format(doc, path)
            arrays = {}
            for name in zf.namelist():
                if name.startswith("arrays/") and name.endswith(".npy"):
                    with zf.open(name) as fh:
                        arrays[name[7:-4]] = np.lib.format.read_array(
                            io.BytesIO(fh.read()), allow_pickle=False
                        )
    except ModelFileError:
        raise
    except (
        KeyError, ValueError, zipfile.BadZipFile, zlib.error, EOFError, OSError,
        NotImplementedError, RuntimeError,  # damaged headers: unknown method, "encrypted"
    ) as err:
        raise ModelFileError(
            f"{str(path)!r} is corrupt or unsafe ({err}); re-save the model."
        ) from None
    cls = _registry().get(doc.get("class"))
    if cls is None:
        raise ModelFileError(f"{str(path)!r} holds unknown model class {doc.get('class')!r}.")
    device = resolve_device(device)
    try:
        est = cls(**{k: _param_from_json(v) for k, v in doc["params"].items()})
        est._set_state(doc["state"], arrays, device)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError) as err:
        raise ModelFileError(f"{str(path)!r} is corrupt ({err!r}); re-save the model.") from None
    return est


def _param_to_json(value):
    """A constructor parameter in a JSON form that loads back as the same value.

    JSON alone would turn tuples into lists and dict keys into strings (so a
    ``sampling_strategy={0: 30}`` would name class ``'0'`` after loading);
    both are tagged. Numpy scalars and torch devices become plain values.
    """
    import torch

    if isinstance(value, tuple):
        return {"__tuple__": [_param_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_param_to_json(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_param_to_json(k), _param_to_json(v)] for k, v in value.items()]}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.device):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(type(value).__name__)


def _param_from_json(value):
    if isinstance(value, list):
        return [_param_from_json(v) for v in value]
    if isinstance(value, dict):
        if list(value) == ["__tuple__"]:
            return tuple(_param_from_json(v) for v in value["__tuple__"])
        if list(value) == ["__dict__"]:
            return {_param_from_json(k): _param_from_json(v) for k, v in value["__dict__"]}
    return value


def _check_format(doc, path) -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{str(path)!r} is not a synthaug model file.")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} uses model format version {version}, but this synthaug "
            f"reads version {FORMAT_VERSION}; load it with the synthaug release that "
            f"wrote it ({doc.get('synthaug_version')}) and re-save, or refit."
        )
