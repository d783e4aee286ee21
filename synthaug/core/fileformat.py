"""Model files: a zip holding ``synthaug.json`` (a document) and ``.npy`` arrays.

Nothing is ever unpickled: arrays are read with ``allow_pickle=False`` and the
document is plain JSON, so reading a file cannot execute code. The format is
versioned; a file of another version is refused with a clear message. This
module knows no model: :func:`write` takes a document and arrays,
:func:`read` returns them, and the estimator core turns them into a model.
"""
from __future__ import annotations

import io
import json
import numbers
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .files import atomic_open

FORMAT_NAME = "synthaug-model"
# 2: the (codec, engine) layout of synthaug 0.2; version 1 files were written
# by the per-model classes of 0.1 and are refused with a message.
FORMAT_VERSION = 2
DOCUMENT_NAME = "synthaug.json"


class ModelFileError(ValueError):
    """A model file that cannot be loaded (corrupt, foreign or unsafe)."""


def write(path, doc: dict, arrays: dict) -> Path:
    """Write ``doc`` (JSON-able) and ``arrays`` to ``path`` atomically.

    Temp file + fsync + rename: an existing file is never left half-written.
    """
    try:
        text = json.dumps({"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **doc},
                          allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"this model holds a value that cannot be saved as JSON ({err}); "
            "use plain str/int/float/bool categories and labels."
        ) from None
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(DOCUMENT_NAME, text)
            for name, arr in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
                zf.writestr(f"arrays/{name}.npy", buf.getvalue())
    return path


def read(path) -> tuple[dict, dict]:
    """The document and arrays of a file written by :func:`write`."""
    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a model file" if path.is_dir() else "does not exist"
        raise FileNotFoundError(f"model file {str(path)!r} {what}.")
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
            doc = json.loads(zf.read(DOCUMENT_NAME))
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
    return doc, arrays


def _check_format(doc, path) -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{str(path)!r} is not a synthaug model file.")
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{str(path)!r} has no valid format_version; re-save the model.")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} uses model format version {version}, but this synthaug "
            f"reads version {FORMAT_VERSION}; load it with the synthaug release that "
            f"wrote it ({doc.get('synthaug_version')}) and re-save, or refit."
        )


# ------------------------------------------------------------- parameters
def params_to_json(params: dict) -> tuple[dict, dict]:
    """Constructor parameters in a JSON form that loads back as the same
    values, and any arrays they need (a RandomState's state).

    JSON alone would turn tuples into lists and dict keys into strings (so a
    ``sampling_strategy={0: 30}`` would name class ``'0'`` after loading);
    both are tagged. Numpy scalars and torch devices become plain values.
    """
    out, arrays = {}, {}
    for key, value in params.items():
        if isinstance(value, np.random.RandomState):
            name, keys, pos, has_gauss, gauss = value.get_state()
            arrays[f"params.{key}"] = keys
            out[key] = {"__random_state__": [name, int(pos), int(has_gauss), float(gauss)]}
            continue
        try:
            out[key] = _to_json(value)
        except TypeError:
            raise TypeError(
                f"cannot save this model: parameter {key}={value!r} has no JSON form; "
                "set it to a str, number, bool or None (or a list, tuple or dict "
                "of those) before saving."
            ) from None
    return out, arrays


def params_from_json(doc: dict, arrays: dict) -> dict:
    """The parameters :func:`params_to_json` wrote."""
    out = {}
    for key, value in doc.items():
        if isinstance(value, dict) and list(value) == ["__random_state__"]:
            name, pos, has_gauss, gauss = value["__random_state__"]
            rs = np.random.RandomState()
            rs.set_state((name, np.asarray(arrays[f"params.{key}"], dtype=np.uint32),
                          pos, has_gauss, gauss))
            out[key] = rs
        else:
            out[key] = _from_json(value)
    return out


def _to_json(value):
    import torch

    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.device):
        return str(value)
    if value is None or isinstance(value, (bool, numbers.Integral, float, str)):
        return value
    raise TypeError(type(value).__name__)


def _from_json(value):
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if list(value) == ["__tuple__"]:
            return tuple(_from_json(v) for v in value["__tuple__"])
        if list(value) == ["__dict__"]:
            return {_from_json(k): _from_json(v) for k, v in value["__dict__"]}
    return value
