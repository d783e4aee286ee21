"""The public contract of every tabular estimator (DESIGN.md, "Public contract").

Each test runs once per entry of ``conftest.TABULAR_MODELS`` through the
``spec`` / ``make_model`` fixtures.
"""
from __future__ import annotations

import copy
import inspect
import io
import json
import os
import pickle
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import torch
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score

import synthaug

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


# ------------------------------------------------------------------ helpers
def assert_identical(a, b):
    """Bit-identical samples: arrays byte for byte, frames exactly, tuples pairwise."""
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for u, v in zip(a, b):
            assert_identical(u, v)
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    else:
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
        if a.dtype == object:
            assert a.tolist() == b.tolist()
        else:
            assert a.tobytes() == b.tobytes()


def differs(a, b) -> bool:
    if isinstance(a, tuple):
        a, b = a[0], b[0]
    if isinstance(a, pd.DataFrame):
        return not a.equals(b)
    return not np.array_equal(a, b, equal_nan=True)


def fidelity_score(est, X, y=None):
    """Scorer for a generator: minus the standardised gap between the real and
    synthetic column means and standard deviations (0 is perfect)."""
    S = est.sample(len(X), random_state=0)
    S = np.asarray(S[0] if isinstance(S, tuple) else S, dtype=float)
    X = np.asarray(X, dtype=float)
    scale = X.std(0) + 1e-12
    gap = np.abs(S.mean(0) - X.mean(0)) / scale + np.abs(S.std(0) - X.std(0)) / scale
    return -float(gap.mean())


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


# ----------------------------------------------- constructor and sklearn API
def test_constructor_is_keyword_only(spec):
    params = list(inspect.signature(spec.cls.__init__).parameters.values())[1:]
    assert params and all(p.kind is p.KEYWORD_ONLY for p in params)
    with pytest.raises(TypeError):
        spec.cls(5)


def test_init_stores_params_verbatim(spec):
    rs = np.random.RandomState(3)
    strategy = {0: 40}
    dims = [7, 3]  # a list, kept as a list
    est = spec.cls(hidden_dims=dims, random_state=rs, sampling_strategy=strategy, epochs=-1)
    params = est.get_params()
    assert params["hidden_dims"] is dims
    assert params["random_state"] is rs
    assert params["sampling_strategy"] is strategy
    assert params["epochs"] == -1  # validated in fit, not in __init__
    # nothing but the parameters is set before fit
    assert set(vars(est)) == set(params)


def test_clone_get_set_params(make_model):
    est = make_model(learning_rate=0.5)
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    assert est.set_params(learning_rate=0.25, epochs=3) is est
    assert est.get_params()["learning_rate"] == 0.25 and est.get_params()["epochs"] == 3
    with pytest.raises(ValueError, match="not_a_param"):
        est.set_params(not_a_param=1)


def test_clone_of_fitted_model_is_unfitted(make_model, blobs):
    X, y = blobs
    fitted = make_model().fit(X, y)
    twin = clone(fitted)
    assert not hasattr(twin, "device_")
    with pytest.raises(NotFittedError):
        twin.sample(3)


def test_grid_search_with_generator_scorer(make_model, blobs):
    X, _ = blobs
    grid = GridSearchCV(make_model(), {"epochs": [1, 30]}, scoring=fidelity_score, cv=2)
    grid.fit(X)
    scores = grid.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and scores[0] != scores[1]
    assert grid.best_params_["epochs"] in (1, 30)
    assert grid.best_estimator_.epochs == grid.best_params_["epochs"]
    assert grid.best_estimator_.sample(4).shape == (4, X.shape[1])


# ------------------------------------------------------------------- fit
def test_fitted_attributes(make_model, blobs, mixed_df):
    X, y = blobs
    est = make_model().fit(X, y)
    assert est.n_features_in_ == 4 and not hasattr(est, "feature_names_in_")
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    np.testing.assert_array_equal(est.class_counts_, [30, 20, 10])
    assert est.device_ == torch.device("cpu")
    Xd, yd = mixed_df
    est.fit(Xd, yd)
    np.testing.assert_array_equal(est.feature_names_in_, Xd.columns)
    assert est.classes_.tolist() == ["no", "yes"]
    est.fit(X)  # a refit on an array forgets the old column names
    assert not hasattr(est, "feature_names_in_") and est.n_features_in_ == 4


def test_device_auto(make_model, blobs):
    est = make_model(device="auto").fit(*blobs)
    assert est.device_.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert est.get_params()["device"] == "auto"


# -------------------------------------------------------------- sampling
def test_unconditional_numpy(make_model, blobs):
    X, _ = blobs
    est = make_model().fit(X)
    S = est.sample(7)
    assert isinstance(S, np.ndarray) and S.shape == (7, 4) and S.dtype == X.dtype
    assert np.all(np.isfinite(S))


def test_unconditional_dataframe_keeps_container_dtypes_categories(make_model, mixed_df):
    X, _ = mixed_df
    S = make_model().fit(X).sample(200)
    assert isinstance(S, pd.DataFrame) and len(S) == 200
    assert list(S.columns) == list(X.columns)
    pd.testing.assert_series_equal(S.dtypes, X.dtypes)
    assert S["c"].dtype == X["c"].dtype  # categories, incl. the unused one, and order
    assert set(S["c"].dropna()) <= set(X["c"].dropna())  # "never" is never drawn
    assert set(S["s"].dropna()) <= set(X["s"].dropna())
    assert set(S["b"]) <= {True, False}
    assert S["i"].between(X["i"].min(), X["i"].max()).all()
    assert S["f"].dropna().between(X["f"].min(), X["f"].max()).all()


def test_conditional_dataframe_with_string_labels(make_model, mixed_df):
    X, y = mixed_df
    out = make_model().fit(X, y).sample(30)
    assert isinstance(out, tuple) and len(out) == 2
    S, ys = out
    assert isinstance(S, pd.DataFrame) and list(S.columns) == list(X.columns)
    pd.testing.assert_series_equal(S.dtypes, X.dtypes)
    assert isinstance(ys, np.ndarray) and len(ys) == 30
    assert set(ys) <= {"no", "yes"}
    assert set(S["c"].dropna()) <= set(X["c"].dropna())


def test_sample_y_none_follows_training_proportions(make_model, blobs):
    est = make_model().fit(*blobs)  # classes 30/20/10
    S, ys = est.sample(60)
    assert S.shape == (60, 4)
    np.testing.assert_array_equal(np.bincount(ys), [30, 20, 10])
    _, ys = est.sample(6)
    np.testing.assert_array_equal(np.bincount(ys), [3, 2, 1])
    _, ys = est.sample(7)  # quotas 3.5 / 2.33 / 1.17: the largest remainder wins
    np.testing.assert_array_equal(np.bincount(ys), [4, 2, 1])
    assert ys.dtype == est.classes_.dtype


def test_sample_single_label(make_model, blobs):
    est = make_model().fit(*blobs)
    S, ys = est.sample(5, y=2)
    assert S.shape == (5, 4)
    np.testing.assert_array_equal(ys, [2] * 5)


def test_sample_label_array_keeps_order(make_model, blobs):
    est = make_model().fit(*blobs)
    labels = np.array([2, 0, 1, 1, 0, 2, 2])
    S, ys = est.sample(y=labels)
    np.testing.assert_array_equal(ys, labels)
    assert S.shape == (7, 4)
    _, ys = est.sample(7, y=list(labels))
    np.testing.assert_array_equal(ys, labels)


def test_sample_dict_of_counts(make_model, blobs):
    est = make_model().fit(*blobs)
    S, ys = est.sample(y={0: 3, 2: 5})
    assert S.shape == (8, 4)
    assert sorted(ys.tolist()) == [0] * 3 + [2] * 5


def test_conditioning_is_native(spec, blobs):
    """Rows drawn for class k look like class k (the classes are far apart)."""
    X, y = blobs
    est = spec.make_trained().fit(X, y)
    S, ys = est.sample(y=np.repeat([0, 1, 2], 50))
    means = np.stack([X[y == k].mean(0) for k in range(3)])
    nearest = ((S[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (nearest == ys).mean() > 0.9


@pytest.mark.parametrize("bad", [7, np.array([0, 7]), {7: 2}, {0: 1, "x": 1}])
def test_sample_unknown_label(make_model, blobs, bad):
    est = make_model().fit(*blobs)
    with pytest.raises(ValueError, match="not seen in fit"):
        est.sample(2 if np.ndim(bad) == 0 and not isinstance(bad, dict) else None, y=bad)


def test_sample_y_for_unconditional_model(make_model, blobs):
    est = make_model().fit(blobs[0])
    with pytest.raises(ValueError, match="fitted without labels"):
        est.sample(3, y=0)


@pytest.mark.parametrize("conditional", [False, True])
@pytest.mark.parametrize("n", [0, -3])
def test_sample_n_below_one(make_model, blobs, conditional, n):
    X, y = blobs
    est = make_model().fit(X, y if conditional else None)
    with pytest.raises(ValueError, match="n_samples"):
        est.sample(n)


def test_sample_n_wrong_type(make_model, blobs):
    est = make_model().fit(blobs[0])
    with pytest.raises(TypeError, match="n_samples"):
        est.sample(2.5)


def test_sample_before_fit(make_model):
    with pytest.raises(NotFittedError):
        make_model().sample(3)


# ---------------------------------------------------------- fit_resample
def test_fit_resample_numpy_auto_balances(make_model, blobs):
    X, y = blobs
    Xr, yr = make_model().fit_resample(X, y)
    assert isinstance(Xr, np.ndarray) and isinstance(yr, np.ndarray)
    assert Xr.dtype == X.dtype and yr.dtype == y.dtype
    assert Xr.tobytes()[: X.nbytes] == X.tobytes()  # real rows first, unchanged, in order
    np.testing.assert_array_equal(yr[: len(y)], y)
    np.testing.assert_array_equal(np.bincount(yr), [30, 30, 30])
    assert len(Xr) == len(yr) == 90


def test_fit_resample_dataframe_series(make_model, mixed_df):
    """DataFrame/Series in -> DataFrame/Series out with a fresh RangeIndex (as
    imbalanced-learn does): the real rows keep their values and order but not
    their original index labels."""
    X, y = mixed_df
    X.index = y.index = pd.Index(np.arange(1000, 1040), name="row")
    Xr, yr = make_model().fit_resample(X, y)
    assert isinstance(Xr, pd.DataFrame) and isinstance(yr, pd.Series)
    assert yr.name == "label" and yr.dtype == y.dtype
    pd.testing.assert_series_equal(Xr.dtypes, X.dtypes)
    pd.testing.assert_index_equal(Xr.index, pd.RangeIndex(len(Xr)))
    pd.testing.assert_index_equal(yr.index, pd.RangeIndex(len(yr)))
    pd.testing.assert_frame_equal(Xr.iloc[:40], X.reset_index(drop=True), check_exact=True)
    pd.testing.assert_series_equal(yr.iloc[:40], y.reset_index(drop=True))
    assert yr.value_counts().to_dict() == {"no": 24, "yes": 24}


def test_fit_resample_nothing_to_add_keeps_containers(make_model, blobs):
    """Balanced data and 'auto': no synthetic rows, and the same output form
    as when rows are added (lists for list input, a RangeIndex for frames)."""
    X, y = blobs
    keep = np.concatenate([np.flatnonzero(y == k)[:10] for k in range(3)])
    X, y = X[keep], y[keep]
    Xr, yr = make_model().fit_resample(X.tolist(), y.tolist())
    assert isinstance(Xr, list) and isinstance(yr, list)  # lists in, lists out
    np.testing.assert_array_equal(Xr, X)
    np.testing.assert_array_equal(yr, y)
    df = pd.DataFrame(X, index=np.arange(50, 80))
    ys = pd.Series(y, index=df.index, name="t")
    Xr, yr = make_model().fit_resample(df, ys)
    pd.testing.assert_frame_equal(Xr, df.reset_index(drop=True))
    pd.testing.assert_series_equal(yr, ys.reset_index(drop=True))


@pytest.mark.parametrize(
    "strategy",
    ["auto", "minority", "not minority", "not majority", "all", {0: 30, 1: 25, 2: 12},
     lambda y: {1: 22, 2: 30}],
    ids=["auto", "minority", "not-minority", "not-majority", "all", "dict", "callable"],
)
def test_sampling_strategy_matches_imblearn(make_model, blobs, strategy):
    X, y = blobs
    Xr, yr = make_model(sampling_strategy=strategy).fit_resample(X, y)
    _, y_ros = RandomOverSampler(sampling_strategy=strategy, random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(np.bincount(yr, minlength=3), np.bincount(y_ros, minlength=3))
    assert Xr.shape == (len(yr), 4)


def test_sampling_strategy_float_binary(make_model, binary_blobs):
    X, y = binary_blobs  # 30 / 12
    est = make_model(sampling_strategy=0.8)
    _, yr = est.fit_resample(X, y)
    np.testing.assert_array_equal(np.bincount(yr), [30, 24])
    assert est.sampling_strategy_ == {0: 0, 1: 12}


def test_synthetic_ratio_enlarges_every_class(make_model, blobs):
    X, y = blobs  # 30 / 20 / 10
    est = make_model(synthetic_ratio=0.3)
    Xr, yr = est.fit_resample(X, y)
    np.testing.assert_array_equal(np.bincount(yr), [39, 26, 13])
    np.testing.assert_array_equal(Xr[:60], X)
    assert est.sampling_strategy_ == {0: 9, 1: 6, 2: 3}


def test_invalid_sampling_strategy(make_model, blobs):
    with pytest.raises(ValueError, match="sampling_strategy"):
        make_model(sampling_strategy="most").fit_resample(*blobs)
    with pytest.raises(ValueError, match="sampling_strategy"):
        make_model(sampling_strategy={0: 5}).fit_resample(*blobs)  # below 30 already there


def test_fit_resample_requires_y(make_model, blobs):
    with pytest.raises(ValueError, match="needs y"):
        make_model().fit_resample(blobs[0], None)


def test_imblearn_pipeline_fit_predict_cross_val(spec, blobs):
    X, y = blobs
    pipe = Pipeline([("aug", spec.make_trained()), ("clf", LogisticRegression())])
    pipe.fit(X, y)
    assert pipe.named_steps["aug"].sampling_strategy_ == {0: 0, 1: 10, 2: 20}
    pred = pipe.predict(X)
    assert pred.shape == y.shape and (pred == y).mean() > 0.9
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.8)


# ----------------------------------------------------------- determinism
@pytest.mark.parametrize("labelled", [False, True])
def test_same_seed_same_samples(make_model, mixed_df, blobs, labelled):
    X, y = mixed_df if labelled else (blobs[0], None)
    a, b = make_model(random_state=11).fit(X, y), make_model(random_state=11).fit(X, y)
    assert a.history_ == b.history_
    assert_identical(a.sample(50), b.sample(50))
    assert_identical(a.sample(50, random_state=4), b.sample(50, random_state=4))
    assert_identical(a.sample(50), a.sample(50))  # the estimator's seed, each call


def test_other_seed_other_samples(make_model, blobs):
    X, y = blobs
    est = make_model().fit(X, y)
    assert differs(est.sample(20, random_state=1), est.sample(20, random_state=2))
    other = make_model(random_state=1).fit(X, y)
    assert other.history_ != est.history_
    assert differs(est.sample(20), other.sample(20))


def test_random_state_none_draws_fresh_rows(make_model, blobs):
    est = make_model(random_state=None).fit(blobs[0])
    assert differs(est.sample(10), est.sample(10))


def test_global_rng_untouched(make_model, blobs, no_global_rng_change):
    X, y = blobs
    for rs in (0, None, np.random.RandomState(2)):
        est = make_model(random_state=rs).fit(X, y)
        est.sample(10)
        est.sample(10, y=1, random_state=5)
        make_model(random_state=rs).fit_resample(X, y)
    no_global_rng_change()


# ----------------------------------------------------------- persistence
@pytest.mark.parametrize("data", ["numpy-labelled", "frame-labelled", "frame"])
def test_save_load_round_trip(make_model, blobs, mixed_df, tmp_path, data):
    X, y = {"numpy-labelled": blobs, "frame-labelled": mixed_df, "frame": (mixed_df[0], None)}[data]
    est = make_model(hidden_dims=(16, 8), sampling_strategy={"no": 30, "yes": 30}).fit(X, y)
    path = tmp_path / "model.synthaug"
    assert est.save(path) == path  # so load(est.save(p)) chains
    loaded = synthaug.load(path)
    assert type(loaded) is type(est)
    assert loaded.get_params() == est.get_params()  # tuples and dict keys survive JSON
    assert loaded.history_ == est.history_
    assert loaded.n_features_in_ == est.n_features_in_
    if y is not None:
        np.testing.assert_array_equal(loaded.classes_, est.classes_)
        assert loaded.classes_.dtype == est.classes_.dtype
    assert_identical(loaded.sample(40, random_state=3), est.sample(40, random_state=3))
    assert_identical(loaded.sample(40), est.sample(40))


def test_load_on_cpu_and_file_layout(make_model, blobs, tmp_path):
    path = tmp_path / "m.zip"
    est = make_model().fit(*blobs)
    est.save(path)
    loaded = synthaug.load(path, device="cpu")
    assert loaded.device_ == torch.device("cpu")
    assert all(p.device.type == "cpu" for p in loaded.net_.parameters())
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        doc = json.loads(zf.read("synthaug.json"))
        for name in names:
            if name != "synthaug.json":  # every other member is a plain .npy array
                assert name.endswith(".npy")
                arr = np.lib.format.read_array(io.BytesIO(zf.read(name)), allow_pickle=False)
                assert arr.dtype != object
    assert "synthaug.json" in names
    assert doc["class"] == type(est).__name__ and doc["format_version"] == 2


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


@pytest.mark.parametrize("via", ["pickle", "joblib"])
def test_pickle_round_trip(make_model, mixed_df, tmp_path, via):
    X, y = mixed_df
    est = make_model().fit(X, y)
    if via == "pickle":
        twin = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "m.joblib")
        twin = joblib.load(tmp_path / "m.joblib")
    assert twin.get_params() == est.get_params()
    assert_identical(twin.sample(30), est.sample(30))
    assert_identical(twin.sample(30, y="yes", random_state=2), est.sample(30, y="yes", random_state=2))


# -------------------------------------------------------- verbose/history
def test_verbose_progress_bar_and_history(spec, make_model, blobs, capfd):
    X, y = blobs
    make_model(verbose=False).fit(X, y)
    quiet = capfd.readouterr()
    assert quiet.err == "" and quiet.out == ""
    est = make_model(verbose=True, epochs=6).fit(X, y)
    err = capfd.readouterr().err
    first_key = next(iter(est.history_))  # the bar shows the first history values
    assert type(est).__name__ in err and "6/6" in err and f"{first_key}=" in err
    assert set(est.history_) == spec.history_keys
    for key, values in est.history_.items():
        assert len(values) == 6, key
        assert all(isinstance(v, float) and np.isfinite(v) for v in values)


# ------------------------------------------------------------- bad input
def _bad_fit_inputs():
    X, y = np.random.RandomState(0).normal(size=(20, 3)), np.repeat([0, 1], 10)
    nan_y = y.astype(float)
    nan_y[4] = np.nan
    inf_X = X.copy()
    inf_X[2, 1] = np.inf
    one_row_class = y.copy()
    one_row_class[0] = 7
    mixed = X.astype(object)
    mixed[3, 1] = "a"
    return [
        ("nan-in-y", X, nan_y, ValueError, r"\by\b.*missing"),
        ("inf-in-X", inf_X, y, ValueError, r"X column 1.*inf"),
        ("empty-X", X[:0], y[:0], ValueError, r"\bX\b.*0 sample\(s\)"),
        ("one-row", X[:1], y[:1], ValueError, r"\bX\b.*1 sample\(s\)"),
        ("one-row-unlabelled", X[:1], None, ValueError, r"\bX\b.*1 sample\(s\)"),
        ("no-columns", X[:, :0], y, ValueError, r"\bX\b.*0 feature\(s\)"),
        ("class-with-one-row", X, one_row_class, ValueError, r"\[7\] in y.*single row"),
        ("single-class", X, np.zeros(20, int), ValueError, r"\by\b.*single class"),
        ("length-mismatch", X, y[:-1], ValueError, r"X has 20 rows but y has 19"),
        ("string-in-numeric", mixed, y, TypeError, r"X column 1 mixes strings"),
        ("3-d", X.reshape(20, 3, 1), y, ValueError, r"\bX\b.*2-dimensional"),
        ("1-d", X[:, 0], y, ValueError, r"\bX\b.*2-dimensional"),
        ("2-d-y", X, np.c_[y, y], ValueError, r"\by\b.*1-dimensional"),
        ("scalar-X", 3.0, None, TypeError, r"\bX\b"),
        ("sparse-X", scipy.sparse.csr_matrix(X), y, TypeError, r"\bX\b.*sparse"),
        ("regression-y", X, np.linspace(0, 1, 20), ValueError, r"\by\b.*regression"),
    ]


@pytest.mark.parametrize(
    "X, y, exc, match", [case[1:] for case in _bad_fit_inputs()],
    ids=[case[0] for case in _bad_fit_inputs()],
)
def test_bad_fit_input(make_model, X, y, exc, match):
    with pytest.raises(exc, match=match):
        make_model().fit(X, y)


def test_unsupported_dtype_column(make_model):
    X = pd.DataFrame({"when": pd.date_range("2020", periods=10), "x": np.arange(10.0)})
    with pytest.raises(TypeError, match="'when'"):
        make_model().fit(X)


@pytest.mark.parametrize(
    "params, exc, name",
    [
        (dict(epochs=0), ValueError, "epochs"),
        (dict(epochs=2.5), TypeError, "epochs"),
        (dict(batch_size=-1), ValueError, "batch_size"),
        (dict(learning_rate="x"), TypeError, "learning_rate"),
        (dict(learning_rate=float("nan")), ValueError, "learning_rate"),
        (dict(latent_dim=0), ValueError, "latent_dim"),
        (dict(hidden_dims=()), TypeError, "hidden_dims"),
        (dict(hidden_dims=(16, 0)), ValueError, "hidden_dims"),
        (dict(synthetic_ratio=-0.5), ValueError, "synthetic_ratio"),
        (dict(device="tpu"), ValueError, "device"),
        (dict(device=3), TypeError, "device"),
        (dict(random_state="seed"), ValueError, "random_state|RandomState"),
        (dict(verbose=True, epochs=True), TypeError, "epochs"),
    ],
)
def test_invalid_params_raise_in_fit(make_model, blobs, params, exc, name):
    est = make_model(**params)  # constructing never validates
    with pytest.raises(exc, match=name):
        est.fit(*blobs)


def test_caller_data_never_modified(make_model, blobs, mixed_df):
    X, y = blobs
    X.setflags(write=False)  # read-only input must work too
    Xc, yc = X.copy(), y.copy()
    est = make_model().fit(X, y)
    labels = np.array([0, 2, 1])
    request = {0: 2, 1: 1}
    est.sample(y=labels)
    est.sample(y=request)
    Xr, _ = est.fit_resample(X, y)
    Xr[:] = 0  # the output does not share memory with the input
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(y, yc)
    np.testing.assert_array_equal(labels, [0, 2, 1])
    assert request == {0: 2, 1: 1}

    Xd, yd = mixed_df
    Xd_c, yd_c = copy.deepcopy(Xd), copy.deepcopy(yd)
    strategy = {"no": 24, "yes": 30}
    est = make_model(sampling_strategy=strategy)
    est.fit(Xd, yd)
    est.sample(5, y="yes")
    Xr, yr = est.fit_resample(Xd, yd)
    Xr.iloc[:40, 1] = -1
    yr.iloc[:] = "no"
    pd.testing.assert_frame_equal(Xd, Xd_c, check_exact=True)
    pd.testing.assert_series_equal(yd, yd_c)
    assert strategy == {"no": 24, "yes": 30}


# ------------------------------------------------------------------ CUDA
@cuda
def test_cuda_model_loads_and_unpickles_on_cpu(make_model, blobs, tmp_path):
    est = make_model(device="cuda").fit(*blobs)
    assert est.device_.type == "cuda" and next(est.net_.parameters()).is_cuda
    est.save(tmp_path / "m.zip")
    cpu = synthaug.load(tmp_path / "m.zip", device="cpu")
    assert cpu.device_ == torch.device("cpu")
    S, ys = cpu.sample(20, random_state=0)
    assert S.shape == (20, 4) and np.all(np.isfinite(S))
    state = est.__getstate__()  # what pickle stores: modules on the CPU
    assert all(
        t.device.type == "cpu"
        for v in state.values() if isinstance(v, torch.nn.Module)
        for t in v.state_dict().values()
    )
    assert next(est.net_.parameters()).is_cuda  # the live model stays on the GPU
    twin = pickle.loads(pickle.dumps(est))
    assert twin.device_.type == "cuda"
    assert_identical(twin.sample(20), est.sample(20))


@cuda
def test_cuda_determinism_and_global_rng(make_model, blobs):
    X, y = blobs
    cuda_state = torch.cuda.get_rng_state_all()
    a = make_model(device="cuda", random_state=4).fit(X, y)
    b = make_model(device="cuda", random_state=4).fit(X, y)
    assert_identical(a.sample(50), b.sample(50))
    for before, after in zip(cuda_state, torch.cuda.get_rng_state_all()):
        assert torch.equal(before, after), "fit/sample changed the global CUDA RNG"
