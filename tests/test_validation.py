"""Shared argument checks: labels, row counts, seeds and devices."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from synthaug.core.validation import check_X_rows, check_y_fit, resolve_device, seed_from

# ------------------------------------------------------------- check_y_fit


@pytest.mark.parametrize(
    "y",
    [
        ["c", "a", "c", "a", "b", "b"],
        np.array([2, 0, 2, 0, 1, 1]),
        pd.Series([2.0, 0.0, 2.0, 0.0, 1.0, 1.0]),
        np.array([[2], [0], [2], [0], [1], [1]]),  # a column vector is flattened
        pd.Series(pd.Categorical(["c", "a", "c", "a", "b", "b"])),
    ],
)
def test_check_y_fit_accepts_labels(y):
    classes, idx, counts = check_y_fit(y, 6)
    assert len(classes) == 3
    np.testing.assert_array_equal(idx, [2, 0, 2, 0, 1, 1])
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(counts, [2, 2, 2])
    np.testing.assert_array_equal(classes[idx], np.asarray(y).ravel())


def test_check_y_fit_single_class():
    with pytest.raises(ValueError, match="single class"):
        check_y_fit(["a", "a", "a"], 3)


def test_check_y_fit_class_with_one_row():
    with pytest.raises(ValueError, match=r"\['c'\].*single row"):
        check_y_fit(["a", "a", "b", "b", "c"], 5)


@pytest.mark.parametrize("n_rows", [3, 5])
def test_check_y_fit_mismatched_length(n_rows):
    with pytest.raises(ValueError, match=rf"X has {n_rows} rows but y has 4"):
        check_y_fit([0, 1, 0, 1], n_rows)


@pytest.mark.parametrize(
    "y",
    [
        [0.0, 1.0, np.nan, 1.0, 0.0],
        np.array(["a", "b", None, "a", "b"], dtype=object),
        pd.Series([1, 0, None, 1, 0], dtype="Int64"),
    ],
)
def test_check_y_fit_missing_labels(y):
    with pytest.raises(ValueError, match="missing"):
        check_y_fit(y, 5)


def test_check_y_fit_regression_like_target():
    with pytest.raises(ValueError, match="regression"):
        check_y_fit(np.array([0.5, 1.25, 0.5, 1.25]), 4)


def test_check_y_fit_mixed_types():
    with pytest.raises(TypeError, match="mixes strings and numbers"):
        check_y_fit(np.array(["a", 1, "a", 1], dtype=object), 4)


def test_check_y_fit_not_1d():
    with pytest.raises(ValueError, match="1-dimensional"):
        check_y_fit(np.zeros((4, 2)), 4)


def test_check_y_fit_does_not_modify_y():
    y = np.array([3, 1, 3, 1])
    check_y_fit(y, 4)
    np.testing.assert_array_equal(y, [3, 1, 3, 1])


# ------------------------------------------------------------ check_X_rows


@pytest.mark.parametrize(
    "X, n",
    [
        (np.zeros((2, 1)), 2),
        (pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}), 3),
        ([[1, 2], [3, 4], [5, 6], [7, 8]], 4),
    ],
)
def test_check_X_rows_accepts_tables(X, n):
    assert check_X_rows(X) == n


@pytest.mark.parametrize(
    "X",
    [np.zeros((1, 3)), pd.DataFrame({"a": [1.0]}), [[1, 2]]],
    ids=["array", "frame", "list"],
)
def test_check_X_rows_one_row(X):
    with pytest.raises(ValueError, match=r"1 sample\(s\)"):
        check_X_rows(X)


@pytest.mark.parametrize(
    "X", [np.zeros((0, 3)), pd.DataFrame({"a": []})], ids=["array", "frame"]
)
def test_check_X_rows_empty(X):
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        check_X_rows(X)


def test_check_X_rows_no_columns():
    with pytest.raises(ValueError, match=r"0 feature\(s\)"):
        check_X_rows(np.zeros((5, 0)))


@pytest.mark.parametrize(
    "X", [np.zeros((4, 2, 2)), np.zeros(4), [1.0, 2.0, 3.0]], ids=["3d", "1d", "list1d"]
)
def test_check_X_rows_wrong_dimensions(X):
    with pytest.raises(ValueError, match="2-dimensional"):
        check_X_rows(X)


@pytest.mark.parametrize("X", ["abc", 3.0, None])
def test_check_X_rows_not_a_table(X):
    with pytest.raises(TypeError, match="2-d array-like"):
        check_X_rows(X)


# --------------------------------------------------------------- seed_from


def test_seed_from_int_is_deterministic_and_per_purpose():
    a = seed_from(0, 0)
    assert a == seed_from(0, 0)
    assert seed_from(0, 1) == seed_from(0, 1)
    assert seed_from(0, 1) != a  # fitting and sampling draw separate streams
    assert seed_from(1, 0) != a
    assert seed_from(np.int64(0), 0) == a
    seeds = [seed_from(s, p) for s in range(20) for p in range(3)]
    assert len(set(seeds)) == len(seeds)
    assert all(isinstance(s, int) and 0 <= s < 2**63 for s in seeds)


def test_seed_from_int_gives_a_reproducible_torch_stream():
    draw = [
        torch.randn(5, generator=torch.Generator().manual_seed(seed_from(7, 1)))
        for _ in range(2)
    ]
    assert torch.equal(draw[0], draw[1])


def test_seed_from_none_varies():
    seeds = {seed_from(None, 0) for _ in range(5)}
    assert len(seeds) == 5
    assert all(0 <= s < 2**63 for s in seeds)


def test_seed_from_random_state_instance_advances():
    rs = np.random.RandomState(3)
    first, second = seed_from(rs, 0), seed_from(rs, 0)
    assert first != second
    rs2 = np.random.RandomState(3)
    assert seed_from(rs2, 0) == first  # same instance state, same seed


@pytest.mark.parametrize("bad", ["seed", 1.5, np.random.default_rng(0)])
def test_seed_from_rejects_bad_random_state(bad):
    with pytest.raises(ValueError):
        seed_from(bad, 0)


# ---------------------------------------------------------- resolve_device

CUDA = torch.cuda.is_available()


@pytest.mark.skipif(CUDA, reason="this machine has CUDA; 'auto' resolves to it")
def test_resolve_device_auto_is_cpu_without_cuda():
    assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.skipif(not CUDA, reason="needs CUDA")
def test_resolve_device_auto_is_cuda_with_cuda():
    assert resolve_device("auto").type == "cuda"


@pytest.mark.parametrize("dev", ["cpu", torch.device("cpu")])
def test_resolve_device_cpu(dev):
    out = resolve_device(dev)
    assert isinstance(out, torch.device) and out.type == "cpu"


@pytest.mark.skipif(CUDA, reason="CUDA is present")
@pytest.mark.parametrize("dev", ["cuda", "cuda:0", torch.device("cuda")])
def test_resolve_device_cuda_without_cuda(dev):
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device(dev)


def test_resolve_device_unknown_name():
    with pytest.raises(ValueError, match="not a torch device"):
        resolve_device("gpu-please")


@pytest.mark.parametrize("dev", [0, None, 1.5])
def test_resolve_device_wrong_type(dev):
    with pytest.raises(TypeError, match="device"):
        resolve_device(dev)
