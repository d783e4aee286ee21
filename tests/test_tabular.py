"""What the tabular models do beyond the contract every model keeps
(tests/test_contract.py): DataFrames with mixed column kinds, missing values
and string labels in and out, native class conditioning, imbalanced-learn
pipelines, bad tables, CUDA.

Each test runs once per entry of ``conftest.TABULAR_MODELS`` through the
``spec`` / ``make_model`` fixtures.
"""
from __future__ import annotations

import copy
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


@pytest.mark.slow
def test_conditioning_is_native(spec, blobs):
    """Rows drawn for class k look like class k (the classes are far apart)."""
    X, y = blobs
    est = spec.make_trained().fit(X, y)
    S, ys = est.sample(y=np.repeat([0, 1, 2], 50))
    means = np.stack([X[y == k].mean(0) for k in range(3)])
    nearest = ((S[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (nearest == ys).mean() > 0.9


# ---------------------------------------------------------- fit_resample
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


def test_invalid_sampling_strategy(make_model, blobs):
    with pytest.raises(ValueError, match="sampling_strategy"):
        make_model(sampling_strategy="most").fit_resample(*blobs)
    with pytest.raises(ValueError, match="sampling_strategy"):
        make_model(sampling_strategy={0: 5}).fit_resample(*blobs)  # below 30 already there


@pytest.mark.slow
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
