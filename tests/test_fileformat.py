"""Model files: what ``save`` writes and what ``synthaug.load`` refuses.

A model file is untrusted input: loading never unpickles, refuses other
format versions and damaged files with one clear error, and a save is
all-or-nothing. The format knows no model, so one model kind (each tabular
model, through the ``make_model`` fixture) stands for all.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

import synthaug


def rewrite_zip(src, dst, replace=None, drop=()):
    """Copy a model file, replacing (name -> bytes) or dropping members."""
    replace = dict(replace or {})
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            if name in drop:
                continue
            zout.writestr(name, replace.pop(name, None) or zin.read(name))
        for name, data in replace.items():
            zout.writestr(name, data)


class CreatesFileWhenUnpickled:
    """A pickle payload that, if ever unpickled, creates ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_save_params_without_json_form(make_model, blobs, tmp_path):
    est = make_model(device=torch.device("cpu"), epochs=np.int64(3)).fit(*blobs)
    est.save(tmp_path / "ok.zip")
    assert synthaug.load(tmp_path / "ok.zip").get_params()["epochs"] == 3
    est = make_model(sampling_strategy=lambda y: {0: 30}).fit(*blobs)
    with pytest.raises(TypeError, match="sampling_strategy"):
        est.save(tmp_path / "bad.zip")
    assert not (tmp_path / "bad.zip").exists() and os.listdir(tmp_path) == ["ok.zip"]


def test_save_before_fit(make_model, tmp_path):
    with pytest.raises(NotFittedError):
        make_model().save(tmp_path / "m.zip")


@pytest.mark.parametrize("payload", [{"a": 1}, "model"])
def test_load_refuses_pickle(make_model, blobs, tmp_path, payload):
    path = tmp_path / "m.pkl"
    obj = make_model().fit(*blobs) if payload == "model" else payload
    with open(path, "wb") as fh:
        pickle.dump(obj, fh)
    with pytest.raises(ValueError, match="pickle"):
        synthaug.load(path)


def test_load_never_unpickles_npy_members(make_model, blobs, tmp_path):
    marker = tmp_path / "pwned"
    evil = np.empty(1, dtype=object)
    evil[0] = CreatesFileWhenUnpickled(marker)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, evil, allow_pickle=True)
    # control: the payload is live, unpickling it does create a file
    control = tmp_path / "control"
    evil[0] = CreatesFileWhenUnpickled(control)
    ctrl = io.BytesIO()
    np.lib.format.write_array(ctrl, evil, allow_pickle=True)
    ctrl.seek(0)
    np.lib.format.read_array(ctrl, allow_pickle=True)
    assert control.exists()

    good = tmp_path / "good.zip"
    make_model().fit(*blobs).save(good)
    with zipfile.ZipFile(good) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".npy"))
    for name in (member, "arrays/extra.npy"):  # replacing a member, or adding one
        bad = tmp_path / "bad.zip"
        rewrite_zip(good, bad, replace={name: buf.getvalue()})
        with pytest.raises(ValueError, match="corrupt or unsafe"):
            synthaug.load(bad)
        assert not marker.exists()


def test_load_refuses_other_format_version(make_model, blobs, tmp_path):
    good = tmp_path / "good.zip"
    make_model().fit(*blobs).save(good)
    with zipfile.ZipFile(good) as zf:
        doc = json.loads(zf.read("synthaug.json"))
    doc["format_version"] = 99
    bad = tmp_path / "future.zip"
    rewrite_zip(good, bad, replace={"synthaug.json": json.dumps(doc).encode()})
    with pytest.raises(ValueError, match=r"format version 99.*reads version 2"):
        synthaug.load(bad)


@pytest.mark.parametrize(
    "damage", ["truncated", "flipped", "empty", "text", "no-config", "bad-json", "no-arrays",
               "other-class"]
)
def test_load_refuses_corrupt_files(make_model, blobs, tmp_path, damage):
    good = tmp_path / "good.zip"
    make_model().fit(*blobs).save(good)
    data = good.read_bytes()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as zf:
        doc = json.loads(zf.read("synthaug.json"))
        arrays = [n for n in zf.namelist() if n.endswith(".npy")]
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":  # inside the first array's compressed bytes
        with zipfile.ZipFile(good) as zf:
            info = zf.getinfo(arrays[0])
        pos = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
        bad.write_bytes(data[:pos] + bytes([data[pos] ^ 0xFF]) + data[pos + 1 :])
    elif damage == "empty":
        bad.write_bytes(b"")
    elif damage == "text":
        bad.write_text("hello")
    elif damage == "no-config":
        rewrite_zip(good, bad, drop={"synthaug.json"})
    elif damage == "bad-json":
        rewrite_zip(good, bad, replace={"synthaug.json": b"{not json"})
    elif damage == "no-arrays":
        rewrite_zip(good, bad, drop=set(arrays))
    else:
        doc["class"] = "os.system"
        rewrite_zip(good, bad, replace={"synthaug.json": json.dumps(doc).encode()})
    with pytest.raises(ValueError, match="bad.zip"):
        synthaug.load(bad)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        synthaug.load(tmp_path / "nope.zip")


@pytest.mark.parametrize("failure", ["json", "array", "rename"])
def test_save_over_existing_file_is_atomic(make_model, blobs, tmp_path, monkeypatch, failure):
    from synthaug.core import fileformat, files

    X, y = blobs
    path = tmp_path / "m.zip"
    make_model().fit(X, y).save(path)
    before = path.read_bytes()
    newer = make_model(random_state=5).fit(X, y)

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    target = {"json": (fileformat.json, "dumps"), "array": (np.lib.format, "write_array"),
              "rename": (files.os, "replace")}[failure]  # save writes through atomic_open
    with monkeypatch.context() as m:
        m.setattr(*target, boom)
        with pytest.raises(RuntimeError, match="disk on fire"):
            newer.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.zip"]  # no temporary file left behind
    newer.save(path)  # and a save that succeeds does replace it
    assert path.read_bytes() != before and os.listdir(tmp_path) == ["m.zip"]
