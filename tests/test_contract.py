"""The public contract of every model (DESIGN.md, "Public contract").

Each test runs once per entry of ``conftest.MODELS`` (the two tabular, two
image and one text model) through the ``model`` fixture, on data of the
model's own kind (``model.data()``: three classes of 30 / 20 / 10 samples).
What only one kind of data has (DataFrames, images' value ranges, texts'
curation) is tested in test_tabular.py, test_image.py and test_text.py.
"""
from __future__ import annotations

import inspect
import json
import os
import pickle
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.over_sampling import RandomOverSampler
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import (
    InvalidParameterError, generate_invalid_param_val, make_constraint,
)
from sklearn.utils.validation import check_is_fitted

import synthaug


# ------------------------------------------------------------------ helpers
def assert_identical(a, b):
    """Bit-identical samples: arrays byte for byte, frames and lists exactly,
    tuples pairwise."""
    assert type(a) is type(b)
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert_identical(u, v)
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    elif isinstance(a, list):
        assert a == b
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b)
    else:
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tolist() == b.tolist() if a.dtype == object else a.tobytes() == b.tobytes()


def differs(a, b) -> bool:
    try:
        assert_identical(a, b)
    except AssertionError:
        return True
    return False


def samples(out):
    """The samples of a ``sample`` result (without labels)."""
    return out[0] if isinstance(out, tuple) else out


def snapshot(X):
    """A deep copy of the caller's data, to compare with it after a call."""
    return [list(x) if isinstance(x, list) else x for x in X] if isinstance(X, list) \
        else np.array(X, copy=True)


# ----------------------------------------------- constructor and sklearn API
def test_constructor_is_keyword_only(model):
    params = list(inspect.signature(model.cls.__init__).parameters.values())[1:]
    assert params and all(p.kind is p.KEYWORD_ONLY for p in params)
    with pytest.raises(TypeError):
        model.cls(5)


def test_init_stores_params_verbatim(model):
    rs, strategy = np.random.RandomState(3), {0: 40}
    est = model.cls(random_state=rs, sampling_strategy=strategy, epochs=-1,
                    sample_batch_size=0)
    params = est.get_params()
    assert params["random_state"] is rs and params["sampling_strategy"] is strategy
    assert params["epochs"] == -1 and params["sample_batch_size"] == 0  # validated in fit
    assert set(vars(est)) == set(params)  # nothing but the parameters before fit


def test_one_name_per_idea(model):
    """Every model has the common parameters, under the same names, and no
    parameter shadows a Python builtin or a name its module defines or imports."""
    import builtins
    import sys

    params = set(model.cls().get_params())
    common = {"epochs", "batch_size", "temperature", "learning_rate", "sampling_strategy",
              "synthetic_ratio", "sample_batch_size", "device", "random_state", "verbose"}
    assert common <= params
    assert not params & set(dir(builtins))
    assert not params & set(vars(sys.modules[model.cls.__module__]))
    assert {"width", "hidden_dims"} & params  # the net's size


def test_clone_of_fitted_model_is_unfitted(model):
    fitted = model.make().fit(*model.data())
    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params() and not hasattr(twin, "net_")
    with pytest.raises(NotFittedError):
        twin.sample(3)


# ------------------------------------------------------------------- fit
def test_fitted_attributes(model):
    est = model.make().fit(*model.data())
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    np.testing.assert_array_equal(est.class_counts_, [30, 20, 10])
    assert est.device_ == torch.device("cpu") and est.conditional_ and est.n_unlabelled_ == 0
    assert set(est.history_) == model.history_keys
    assert est.net_ is est.engine_.net and isinstance(est.net_, torch.nn.Module)
    assert est.codec_ is not None and isinstance(est.sample_batch_size_, int)
    check_is_fitted(est)


def test_a_failed_fit_leaves_the_estimator_unfitted(model, monkeypatch):
    """Fitted state is assigned only when fit succeeds: a fit that raises
    (a divergence, an interrupt) leaves no model, even over an earlier one."""
    est = model.make().fit(*model.data())
    engine = type(est.engine_)

    def fail(*args, **kwargs):
        raise FloatingPointError("diverged (simulated)")

    monkeypatch.setattr(engine, "fit", fail)
    with pytest.raises(FloatingPointError):
        est.fit(*model.data())
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not [k for k in vars(est) if k.endswith("_")]
    monkeypatch.undo()
    assert est.fit(*model.data()).sample(2)[0] is not None


def test_invalid_params_raise_in_fit_naming_the_parameter(model):
    """Every parameter is declared in _parameter_constraints: an invalid
    value of each (generated from its constraints, as scikit-learn's own
    check does) makes fit raise InvalidParameterError naming it."""
    X, y = model.data()
    for name, constraints in model.cls._parameter_constraints.items():
        made = [make_constraint(c) for c in constraints]
        bad_values = [object()]
        for constraint in made:
            try:
                bad_values.append(generate_invalid_param_val(constraint))
            except NotImplementedError:
                pass
        for bad in bad_values:
            if any(c.is_satisfied_by(bad) for c in made):
                continue
            with pytest.raises(InvalidParameterError, match=name):
                model.make(**{name: bad}).fit(X, y)
    assert set(model.cls._parameter_constraints) == set(model.cls().get_params())


def test_caller_data_never_modified(model):
    X, y = model.data()
    X0, y0 = snapshot(X), y.copy()
    est = model.make().fit(X, y)
    est.fit_resample(X, y)
    est.sample(5)
    assert_identical(snapshot(X), X0) if not isinstance(X, list) else X == X0
    np.testing.assert_array_equal(y, y0)


# --------------------------------------------------------------- sample
def test_sample_return_rule(model):
    """Labelled: (samples in the training container, labels as a numpy array
    of classes_); unlabelled: the samples alone."""
    X, y = model.data()
    S, ys = model.make().fit(X, y).sample(6)
    assert type(S) is type(X) and len(S) == 6
    assert isinstance(ys, np.ndarray) and ys.dtype == y.dtype and len(ys) == 6
    alone = model.make().fit(X).sample(4)
    assert type(alone) is type(X) and len(alone) == 4


def test_sample_label_forms(model):
    est = model.make().fit(*model.data())  # classes 30 / 20 / 10
    np.testing.assert_array_equal(np.bincount(est.sample(60)[1]), [30, 20, 10])
    _, ys = est.sample(7)  # quotas 3.5 / 2.33 / 1.17: the largest remainder wins
    np.testing.assert_array_equal(np.bincount(ys), [4, 2, 1])
    np.testing.assert_array_equal(est.sample(3, y=2)[1], [2, 2, 2])
    order = np.array([2, 0, 1, 1, 0])
    np.testing.assert_array_equal(est.sample(y=order)[1], order)
    np.testing.assert_array_equal(est.sample(5, y=list(order))[1], order)
    assert sorted(est.sample(y={0: 3, 2: 2})[1].tolist()) == [0, 0, 0, 2, 2]


@pytest.mark.parametrize("call, exc, match", [
    (dict(n_samples=2, y=7), ValueError, "not seen in fit"),
    (dict(y={0: 1, 7: 1}), ValueError, "not seen in fit"),
    (dict(n_samples=0), ValueError, "n_samples"),
    (dict(n_samples=2.5), TypeError, "n_samples"),
    (dict(n_samples=2, temperature=-1.0), ValueError, "temperature"),
    (dict(n_samples=2, colour="red"), TypeError, "colour"),
], ids=["label", "dict-label", "n-zero", "n-float", "temperature", "unknown-option"])
def test_sample_refusals(model, call, exc, match):
    est = model.make().fit(*model.data())
    with pytest.raises(exc, match=match):
        est.sample(**call)


def test_sample_refusals_without_labels_or_fit(model):
    X, _ = model.data()
    with pytest.raises(NotFittedError):
        model.make().sample(3)
    with pytest.raises(ValueError, match="fitted without labels"):
        model.make().fit(X).sample(3, y=0)


def test_temperature_is_a_sampling_setting(model):
    """``sample(temperature=t)`` samples as a model built with ``t`` would,
    without refitting."""
    X, y = model.data()
    est = model.make().fit(X, y)
    t = 0.5 if est.temperature != 0.5 else 0.25
    other = model.make(temperature=t).fit(X, y)
    assert_identical(est.sample(8, temperature=t), other.sample(8))
    assert differs(est.sample(8, temperature=t), est.sample(8))


def test_sample_to_file_writes_what_sample_returns(model, tmp_path):
    """Streaming in chunks that cut across the model's device calls gives
    the samples of one ``sample`` call with the same seed."""
    est = model.make(sample_batch_size=7).fit(*model.data())
    S, ys = est.sample(30, random_state=2)
    out = est.sample_to_file(tmp_path / f"s{model.file_suffix}", 30, random_state=2,
                             chunk_size=4)
    path = out[0] if isinstance(out, tuple) else out
    if model.modality == "tabular":
        frame = pd.read_csv(path)
        np.testing.assert_allclose(frame.iloc[:, :-1].to_numpy(), S)
        np.testing.assert_array_equal(frame["label"], ys)
    elif model.modality == "image":
        np.testing.assert_array_equal(np.load(path), S)
        np.testing.assert_array_equal(np.load(out[1]), ys)
    else:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert [r["text"] for r in rows] == S and [r["label"] for r in rows] == ys.tolist()
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in np.atleast_1d(out))


# ---------------------------------------------------------- fit_resample
def test_fit_resample_balances_with_real_samples_first(model):
    X, y = model.data()
    Xr, yr = model.make().fit_resample(X, y)
    assert type(Xr) is type(X) and isinstance(yr, np.ndarray) and yr.dtype == y.dtype
    assert_identical(Xr[: len(X)], X) if not isinstance(X, list) else Xr[: len(X)] == X
    np.testing.assert_array_equal(yr[: len(y)], y)
    np.testing.assert_array_equal(np.bincount(yr), [30, 30, 30])


@pytest.mark.parametrize(
    "strategy",
    ["minority", "not minority", "all", {0: 30, 1: 25, 2: 12}, lambda y: {1: 22, 2: 30}],
    ids=["minority", "not-minority", "all", "dict", "callable"],
)
def test_sampling_strategy_matches_imblearn(model, strategy):
    X, y = model.data()
    est = model.make(sampling_strategy=strategy)
    _, yr = est.fit_resample(X, y)
    _, y_ros = RandomOverSampler(sampling_strategy=strategy, random_state=0).fit_resample(
        np.zeros((len(y), 1)), y)
    np.testing.assert_array_equal(np.bincount(yr, minlength=3), np.bincount(y_ros, minlength=3))
    assert est.sampling_strategy_ == dict(enumerate(np.bincount(yr) - [30, 20, 10]))


def test_synthetic_ratio_enlarges_every_class(model):
    X, y = model.data()
    _, yr = model.make(synthetic_ratio=0.3).fit_resample(X, y)
    np.testing.assert_array_equal(np.bincount(yr), [39, 26, 13])
    with pytest.raises(ValueError, match="needs y"):
        model.make().fit_resample(X, None)


# ----------------------------------------------------------- determinism
def test_same_seed_same_samples_other_seed_others(model):
    X, y = model.data()
    a, b = model.make(random_state=11).fit(X, y), model.make(random_state=11).fit(X, y)
    assert a.history_ == b.history_
    assert_identical(a.sample(20), b.sample(20))
    assert_identical(a.sample(20), a.sample(20))  # the estimator's seed, each call
    assert differs(a.sample(20, random_state=1), a.sample(20, random_state=2))
    assert differs(a.sample(20), model.make(random_state=12).fit(X, y).sample(20))
    fresh = model.make(random_state=None).fit(X, y)
    assert differs(fresh.sample(20), fresh.sample(20))


def test_global_rng_untouched(model, no_global_rng_change):
    X, y = model.data()
    for rs in (0, None, np.random.RandomState(2)):
        est = model.make(random_state=rs).fit(X, y)
        est.sample(5)
        est.sample(5, y=1, random_state=5)
    no_global_rng_change()


# ----------------------------------------------------------- persistence
def test_save_load_round_trip(model, tmp_path):
    X, y = model.data()
    est = model.make(sampling_strategy={0: 30, 1: 30, 2: 30}).fit(X, y)
    path = tmp_path / "model.synthaug"
    assert est.save(path) == path  # so load(est.save(p)) chains
    loaded = synthaug.load(path)
    assert type(loaded) is type(est) and loaded.get_params() == est.get_params()
    assert loaded.get_params()["random_state"] == 0  # an int seed survives
    assert loaded.history_ == est.history_ and loaded.classes_.dtype == est.classes_.dtype
    assert_identical(loaded.sample(20, random_state=3), est.sample(20, random_state=3))
    assert_identical(loaded.sample(20), est.sample(20))
    with zipfile.ZipFile(path) as zf:
        doc = json.loads(zf.read("synthaug.json"))
        assert all(n.endswith(".npy") for n in zf.namelist() if n != "synthaug.json")
    assert doc["class"] == model.name and doc["format_version"] == 2


def test_a_random_state_instance_survives_save_and_load(model, tmp_path):
    """The RandomState's state is saved: the loaded model's next draw is the
    one the saved model would have made."""
    X, y = model.data()
    est = model.make(random_state=np.random.RandomState(7)).fit(X, y)
    loaded = synthaug.load(est.save(tmp_path / "m.synthaug"))
    rs = loaded.get_params()["random_state"]
    assert isinstance(rs, np.random.RandomState)
    assert rs.get_state()[1].tolist() == est.random_state.get_state()[1].tolist()
    assert_identical(loaded.sample(10), est.sample(10))


@pytest.mark.parametrize("via", ["pickle", "joblib"])
def test_pickle_round_trip(model, tmp_path, via):
    est = model.make().fit(*model.data())
    if via == "pickle":
        twin = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "m.joblib")
        twin = joblib.load(tmp_path / "m.joblib")
    assert_identical(twin.sample(10, random_state=1), est.sample(10, random_state=1))


# -------------------------------------------------- verbose / pipelines
def test_verbose_progress_bar_and_history(model, capfd):
    X, y = model.data()
    model.make(verbose=False).fit(X, y)
    quiet = capfd.readouterr()
    assert quiet.err == "" and quiet.out == ""
    est = model.make(verbose=True).fit(X, y)
    err = capfd.readouterr().err
    first_key = next(iter(est.history_))  # the bar shows the first history values
    assert model.name in err and f"{first_key}=" in err
    assert set(est.history_) == model.history_keys


def test_drops_into_an_imblearn_pipeline(model):
    from imblearn.pipeline import Pipeline
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import FunctionTransformer

    flat = FunctionTransformer(lambda X: np.asarray(X, float).reshape(len(X), -1))
    features = {"tabular": "passthrough", "image": flat, "text": TfidfVectorizer()}
    X, y = model.data()
    pipe = Pipeline([("aug", model.make()), ("features", features[model.modality]),
                     ("clf", LogisticRegression(max_iter=500))]).fit(X, y)
    assert pipe.named_steps["aug"].sampling_strategy_ == {0: 0, 1: 10, 2: 20}
    assert pipe.predict(X).shape == y.shape
