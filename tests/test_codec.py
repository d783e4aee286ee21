"""Tests of the tabular codec: exact round trips, spans, decoding and errors."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthaug.codecs.tabular import Span, TabularCodec
from synthaug.codecs.tabular_decode import Buckets

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Float round trips are exact up to float rounding (module docstring): the
# value goes through a piecewise-linear CDF, ndtri, ndtr and back.
RTOL = 1e-9
ATOL_PER_RANGE = 1e-9

TEXT = st.text(alphabet="abcé中 ", max_size=3)
# +-1e300 keeps max - min finite; subnormals would make the relative atol meaningless
FLOATS = st.floats(
    -1e300, 1e300, allow_nan=False, allow_infinity=False, allow_subnormal=False
)
FLOATS32 = st.floats(
    -1e6, 1e6, width=32, allow_nan=False, allow_infinity=False, allow_subnormal=False
)
# Integer columns go through float64 interpolation and ndtri/ndtr, so the
# round trip is exact while range * n_rows stays far below 2**53 (it breaks
# near a 2**50 range with 40 rows); +-2**40 covers every realistic count/ID.
INTS = st.integers(-(2**40), 2**40)

KINDS = [
    "str", "object_str", "category", "bool", "boolean",
    "int64", "Int64", "uint8", "float64", "float32",
]
NULLABLE = {"str", "object_str", "category", "boolean", "Int64", "float64", "float32"}
FLOAT_KINDS = {"float64", "float32"}


# --------------------------------------------------------------- strategies
@st.composite
def _missing_mask(draw, n, kind):
    if kind not in NULLABLE or not draw(st.booleans()):
        return np.zeros(n, bool)
    return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)


@st.composite
def columns(draw, kind, n):
    """One pandas column of ``kind`` with n rows, missing values included."""
    miss = draw(_missing_mask(n, kind))
    if kind in ("str", "object_str"):
        vals = draw(st.lists(TEXT, min_size=n, max_size=n))
        na = draw(st.sampled_from([None, np.nan])) if kind == "object_str" else None
        vals = [na if m else v for v, m in zip(vals, miss)]
        return pd.Series(vals, dtype="str" if kind == "str" else object)
    if kind == "category":
        pool = draw(st.lists(TEXT, min_size=1, max_size=4, unique=True))
        unused = draw(st.lists(st.sampled_from(["zz", "yy"]), max_size=2, unique=True))
        vals = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
        vals = [None if m else v for v, m in zip(vals, miss)]
        cats = pool + [u for u in unused if u not in pool]
        return pd.Series(pd.Categorical(vals, categories=cats, ordered=draw(st.booleans())))
    if kind in ("bool", "boolean"):
        vals = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        if kind == "bool":
            return pd.Series(np.array(vals, bool))
        return pd.Series(pd.array([None if m else v for v, m in zip(vals, miss)], "boolean"))
    if kind in ("int64", "Int64", "uint8"):
        ints = st.integers(0, 255) if kind == "uint8" else INTS
        vals = draw(st.lists(ints, min_size=n, max_size=n))
        if kind == "Int64":
            return pd.Series(pd.array([None if m else v for v, m in zip(vals, miss)], "Int64"))
        return pd.Series(np.array(vals, dtype=kind))
    elem = FLOATS32 if kind == "float32" else FLOATS
    vals = np.array(draw(st.lists(elem, min_size=n, max_size=n)), dtype=kind)
    vals[miss] = np.nan
    return pd.Series(vals)


@st.composite
def frames(draw, kinds=tuple(KINDS), max_rows=30):
    n = draw(st.integers(2, max_rows))
    ncol = draw(st.integers(1, 5))
    data = {}
    for j in range(ncol):
        kind = draw(st.sampled_from(kinds))
        data[f"c{j}_{kind}"] = draw(columns(kind, n))
    return pd.DataFrame(data)


@st.composite
def float_arrays(draw):
    n = draw(st.integers(2, 30))
    k = draw(st.integers(1, 4))
    arr = np.array(draw(st.lists(FLOATS, min_size=n * k, max_size=n * k))).reshape(n, k)
    if draw(st.booleans()):
        mask = draw(st.lists(st.booleans(), min_size=n * k, max_size=n * k))
        arr[np.array(mask).reshape(n, k)] = np.nan
    return arr


@st.composite
def object_arrays(draw):
    """Object arrays mixing numeric and string columns, with None/NaN holes."""
    n = draw(st.integers(2, 30))
    k = draw(st.integers(1, 4))
    arr = np.empty((n, k), dtype=object)
    for j in range(k):
        numeric = draw(st.booleans())
        elem = st.one_of(INTS, FLOATS) if numeric else TEXT
        vals = draw(st.lists(elem, min_size=n, max_size=n))
        miss = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        na = draw(st.sampled_from([None, np.nan]))
        for i in range(n):
            arr[i, j] = na if miss[i] and draw(st.booleans()) else vals[i]
    return arr


# ----------------------------------------------------------------- helpers
def _roundtrip(X):
    codec = TabularCodec().fit(X)
    return codec, codec.inverse_transform(codec.transform(X))


def _assert_close(got, want, name):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    span = float(want.max() - want.min()) if want.size else 0.0
    np.testing.assert_allclose(
        got, want, rtol=RTOL, atol=ATOL_PER_RANGE * span, err_msg=f"column {name!r}"
    )


def assert_same_frame(back, df):
    assert isinstance(back, pd.DataFrame)
    assert list(back.columns) == list(df.columns)
    assert len(back) == len(df)
    for name in df.columns:
        a, b = df[name], back[name]
        assert b.dtype == a.dtype, (name, b.dtype, a.dtype)
        if isinstance(a.dtype, pd.CategoricalDtype):
            assert list(b.cat.categories) == list(a.cat.categories)
            assert b.cat.ordered == a.cat.ordered
        miss = a.isna().to_numpy()
        np.testing.assert_array_equal(b.isna().to_numpy(), miss, err_msg=str(name))
        want = a[~miss].to_numpy(dtype=object)
        got = b[~miss].to_numpy(dtype=object)
        if a.dtype.kind == "f":
            _assert_close(got, want, name)
        else:
            assert got.tolist() == want.tolist(), name


def assert_same_array(back, arr):
    assert isinstance(back, np.ndarray)
    assert back.dtype == arr.dtype
    assert back.shape == arr.shape
    for j in range(arr.shape[1]):
        a, b = arr[:, j], back[:, j]
        miss = pd.isna(a)
        np.testing.assert_array_equal(pd.isna(b), miss, err_msg=f"column {j}")
        present = a[~miss]
        if all(isinstance(v, str) for v in present):
            assert b[~miss].tolist() == present.tolist()
        else:
            _assert_close(b[~miss], present, j)


def _snapshot(X):
    if isinstance(X, pd.DataFrame):
        return X.copy(deep=True)
    return copy.deepcopy(X)


def _assert_unchanged(X, before):
    if isinstance(X, pd.DataFrame):
        pd.testing.assert_frame_equal(X, before, check_exact=True)
        for name in X.columns:  # None must not have become NaN, nor the reverse
            assert [repr(v) for v in X[name]] == [repr(v) for v in before[name]]
    else:
        assert X.dtype == before.dtype and X.shape == before.shape
        assert [repr(v) for v in X.ravel()] == [repr(v) for v in before.ravel()]


# ---------------------------------------------------------- round trips
@SETTINGS
@given(frames())
def test_roundtrip_dataframe(df):
    before = _snapshot(df)
    _, back = _roundtrip(df)
    assert_same_frame(back, df)
    _assert_unchanged(df, before)


@SETTINGS
@given(frames(kinds=("float64", "float32"), max_rows=60))
def test_roundtrip_float_columns_within_tolerance(df):
    _, back = _roundtrip(df)
    assert_same_frame(back, df)


@SETTINGS
@given(float_arrays())
def test_roundtrip_float_array(arr):
    before = _snapshot(arr)
    _, back = _roundtrip(arr)
    assert_same_array(back, arr)
    _assert_unchanged(arr, before)


@SETTINGS
@given(object_arrays())
def test_roundtrip_object_array(arr):
    before = _snapshot(arr)
    _, back = _roundtrip(arr)
    assert_same_array(back, arr)
    _assert_unchanged(arr, before)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float32, bool, "<U3"])
def test_roundtrip_plain_arrays_keep_dtype(dtype):
    rng = np.random.default_rng(0)
    if dtype == "<U3":
        arr = rng.choice(np.array(["a", "bb", "ccc"]), size=(40, 3))
    else:
        arr = (rng.integers(0, 100, size=(40, 3)) * (rng.random((40, 3)) + 0.5)).astype(dtype)
    _, back = _roundtrip(arr)
    assert isinstance(back, np.ndarray)
    assert back.dtype == arr.dtype
    if arr.dtype.kind == "f":  # exact up to float rounding (1 ulp of the CDF)
        _assert_close(back, arr, "all")
    else:
        np.testing.assert_array_equal(back, arr)


def test_roundtrip_object_array_whole_floats_beyond_int64():
    # a whole-valued numeric column in an object array decodes to Python ints;
    # those must not overflow an int64 cast
    arr = np.array([[1e20, "a"], [3.0, "b"], [None, "a"], [-2e19, "b"]], dtype=object)
    _, back = _roundtrip(arr)
    assert back.dtype == object
    assert back[2, 0] is None
    assert [float(v) for v in back[[0, 1, 3], 0]] == [1e20, 3.0, -2e19]
    assert back[:, 1].tolist() == ["a", "b", "a", "b"]


def test_roundtrip_many_unique_values_uses_quantile_grid():
    # more unique values than stored quantiles: the piecewise-linear map is
    # still inverted exactly between the stored points
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "x": rng.lognormal(size=5000),
        "k": rng.integers(-10**6, 10**6, size=5000),
        "n": np.where(rng.random(5000) < 0.1, np.nan, rng.standard_normal(5000)),
    })
    codec, back = _roundtrip(df)
    assert len(codec.columns_[0].quantiles) <= 1000
    assert_same_frame(back, df)


def test_roundtrip_integer_column_names_and_all_missing_columns():
    df = pd.DataFrame({
        0: [1.5, 2.5, 3.5],
        1: [np.nan, np.nan, np.nan],
        2: pd.array([None, None, None], dtype="Int64"),
        3: pd.Series([None, None, None], dtype=object),
        4: pd.Categorical([None, None, None], categories=["a", "b"]),
    })
    codec, back = _roundtrip(df)
    assert codec.feature_names == [0, 1, 2, 3, 4]
    assert_same_frame(back, df)


# ---------------------------------------------------------------- spans
def _expected_spans(df):
    out = []
    for name in df.columns:
        s = df[name]
        miss = bool(s.isna().any())
        is_cat = isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(
            s.dtype
        ) or not pd.api.types.is_numeric_dtype(s.dtype)
        if is_cat:
            n_cat = s.dropna().nunique()
            out.append(Span(n_cat + miss, "softmax"))
        else:
            out.append(Span(1, "identity"))
            if miss:
                out.append(Span(2, "softmax"))
    return out


@SETTINGS
@given(frames())
def test_spans_describe_the_encoded_matrix(df):
    codec = TabularCodec().fit(df)
    M = codec.transform(df)
    spans = codec.spans
    assert spans == _expected_spans(df)
    assert sum(s.width for s in spans) == codec.width == M.shape[1]
    assert M.shape[0] == len(df) and M.dtype == np.float64
    assert np.isfinite(M).all()
    pos = 0
    for span in spans:
        block = M[:, pos : pos + span.width]
        if span.activation == "softmax":
            assert set(np.unique(block)) <= {0.0, 1.0}
            np.testing.assert_array_equal(block.sum(axis=1), 1.0)
        else:
            assert span.activation == "identity" and span.width == 1
        pos += span.width


def test_spans_activation_per_column_kind():
    df = pd.DataFrame({
        "f": [0.1, 0.2, 0.3, 0.4],
        "f_na": [0.1, np.nan, 0.3, 0.4],
        "i": [1, 2, 3, 4],
        "I_na": pd.array([1, None, 3, 4], dtype="Int64"),
        "s": ["a", "b", "c", "a"],
        "s_na": ["a", None, "b", "a"],
        "b": [True, False, True, True],
        "c": pd.Categorical(["x", "y", "x", "x"], categories=["x", "y", "z"]),
    })
    codec = TabularCodec().fit(df)
    assert codec.spans == [
        Span(1, "identity"),
        Span(1, "identity"), Span(2, "softmax"),  # extra [present, missing] block
        Span(1, "identity"),
        Span(1, "identity"), Span(2, "softmax"),
        Span(3, "softmax"),
        Span(3, "softmax"),  # a, b + missing
        Span(2, "softmax"),
        Span(2, "softmax"),  # only categories seen in fit: x, y
    ]
    M = codec.transform(df)
    # the missing block of f_na flags row 1 as [present=0, missing=1]
    np.testing.assert_array_equal(M[:, 2:4], [[1, 0], [0, 1], [1, 0], [1, 0]])


# ---------------------------------------------------------- random decode
def _check_decoded_frame(out, df):
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(df.columns)
    for name in df.columns:
        a, b = df[name], out[name]
        assert b.dtype == a.dtype, name
        present = b.dropna()
        seen = a.dropna()
        if not a.isna().any():
            assert not b.isna().any(), name
        if isinstance(a.dtype, pd.CategoricalDtype):
            assert list(b.cat.categories) == list(a.cat.categories)
        if (
            isinstance(a.dtype, pd.CategoricalDtype)
            or pd.api.types.is_bool_dtype(a.dtype)
            or not pd.api.types.is_numeric_dtype(a.dtype)
        ):
            assert set(present.tolist()) <= set(seen.tolist()), name
            continue
        if len(seen) == 0:
            # an all-missing numeric column has no training range to respect
            # (the codec keeps a 0.0 placeholder); nothing more to check
            continue
        vals = present.to_numpy(dtype=np.float64)
        lo, hi = seen.to_numpy(dtype=np.float64).min(), seen.to_numpy(dtype=np.float64).max()
        assert np.all(vals >= lo) and np.all(vals <= hi), name
        whole = np.all(seen.to_numpy(dtype=np.float64) % 1 == 0)
        if pd.api.types.is_integer_dtype(a.dtype) or whole:
            assert np.all(vals == np.round(vals)), name


@SETTINGS
@given(frames(), st.integers(0, 2**32 - 1))
def test_decoding_random_matrix_stays_in_training_support(df, seed):
    codec = TabularCodec().fit(df)
    M = np.random.default_rng(seed).standard_normal((200, codec.width)) * 3
    _check_decoded_frame(codec.inverse_transform(M), df)


def test_decoding_random_matrix_fixed_table():
    rng = np.random.default_rng(2)
    n = 60
    df = pd.DataFrame({
        "i": rng.integers(-5, 40, n),
        "I": pd.array([None if k % 7 == 0 else int(v) for k, v in
                       enumerate(rng.integers(100, 200, n))], dtype="Int64"),
        "f": rng.standard_normal(n) * 10 + 3,
        "f_na": np.where(rng.random(n) < 0.3, np.nan, rng.random(n)),
        "s": rng.choice(["red", "green", "blue"], n).astype(object),
        "c": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "mid", "hi"]),
        "b": rng.random(n) < 0.5,
    })
    codec = TabularCodec().fit(df)
    M = np.random.default_rng(3).standard_normal((3000, codec.width))
    out = codec.inverse_transform(M)
    _check_decoded_frame(out, df)
    assert out["I"].isna().any() and out["I"].notna().any()
    assert out["f_na"].isna().any() and out["f_na"].notna().any()
    assert "mid" not in set(out["c"].dropna())  # a category never seen in fit
    assert out["f"].nunique() > 100  # continuous values are interpolated


def test_decoding_random_matrix_arrays():
    rng = np.random.default_rng(4)
    arr = np.column_stack([rng.random(50) * 7 - 2, rng.integers(0, 9, 50).astype(float)])
    arr[::5, 0] = np.nan
    codec = TabularCodec().fit(arr)
    out = codec.inverse_transform(np.random.default_rng(5).standard_normal((500, codec.width)))
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (500, 2)
    x0 = out[:, 0][~np.isnan(out[:, 0])]
    assert np.nanmin(arr[:, 0]) <= x0.min() and x0.max() <= np.nanmax(arr[:, 0])
    assert not np.isnan(out[:, 1]).any()
    assert set(out[:, 1]) <= set(arr[:, 1])

    obj = np.empty((6, 2), dtype=object)
    obj[:, 0] = [1, 2, 3, 4, 5, None]
    obj[:, 1] = ["a", "b", "a", "b", "a", "c"]
    codec = TabularCodec().fit(obj)
    out = codec.inverse_transform(np.random.default_rng(6).standard_normal((300, codec.width)))
    assert out.dtype == object
    assert set(out[:, 1]) <= {"a", "b", "c"}
    nums = [v for v in out[:, 0] if v is not None]
    assert nums and all(float(v) in {1.0, 2.0, 3.0, 4.0, 5.0} for v in nums)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_inf_is_rejected(bad):
    arr = np.array([[1.0, 2.0], [bad, 3.0], [4.0, 5.0]])
    with pytest.raises(ValueError, match="inf"):
        TabularCodec().fit(arr)
    with pytest.raises(ValueError, match="inf"):
        TabularCodec().fit(pd.DataFrame({"a": [1.0, bad, 2.0]}))
    with pytest.raises(ValueError, match="inf"):
        TabularCodec().fit(pd.DataFrame({"a": pd.Series([1.0, bad, None], dtype=object)}))


@pytest.mark.parametrize(
    "X",
    [
        pd.DataFrame({"m": ["a", 1, "b"]}),
        pd.DataFrame({"m": pd.Series([2.5, "b", None], dtype=object)}),
        np.array([["a", 1.0], [3, 2.0]], dtype=object),
    ],
)
def test_mixed_strings_and_numbers_raise_typeerror(X):
    with pytest.raises(TypeError, match=r"mixes strings \(.*\) with numbers"):
        TabularCodec().fit(X)


@pytest.mark.parametrize(
    "col",
    [
        pd.date_range("2020-01-01", periods=3),
        pd.date_range("2020-01-01", periods=3, tz="UTC"),
        pd.to_timedelta([1, 2, 3], unit="D"),
    ],
)
def test_datetime_like_columns_raise_typeerror(col):
    with pytest.raises(TypeError, match="not supported"):
        TabularCodec().fit(pd.DataFrame({"x": [1, 2, 3], "d": col}))


def test_inverse_transform_wrong_width_raises():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    codec = TabularCodec().fit(df)
    M = codec.transform(df)
    for bad in (M[:, :-1], np.hstack([M, M[:, :1]]), M[:, 0], M[None]):
        with pytest.raises(ValueError, match=str(codec.width)):
            codec.inverse_transform(bad)


def test_transform_unseen_category_raises():
    codec = TabularCodec().fit(pd.DataFrame({"a": ["x", "y", "x"]}))
    with pytest.raises(ValueError, match="'q'"):
        codec.transform(pd.DataFrame({"a": ["x", "q", "y"]}))
    codec = TabularCodec().fit(np.array([["x"], ["y"]], dtype=object))
    with pytest.raises(ValueError, match="not seen in fit"):
        codec.transform(np.array([["z"]], dtype=object))


def test_transform_other_columns_or_new_missing_values_raise():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    codec = TabularCodec().fit(df)
    with pytest.raises(ValueError):
        codec.transform(df[["b", "a"]])
    with pytest.raises(ValueError):
        codec.transform(df[["a"]])
    with pytest.raises(ValueError):
        codec.transform(df.to_numpy())
    with pytest.raises(ValueError, match="missing"):
        codec.transform(pd.DataFrame({"a": [np.nan, 2.0], "b": ["x", "y"]}))


def test_non_2d_array_raises():
    with pytest.raises(ValueError, match="2-dimensional"):
        TabularCodec().fit(np.arange(5.0))
    with pytest.raises(ValueError, match="2-dimensional"):
        TabularCodec().fit(np.zeros((2, 2, 2)))


def test_caller_data_not_modified():
    df = pd.DataFrame({
        "f": [0.5, np.nan, 2.0, 3.0],
        "I": pd.array([1, None, 3, 3], dtype="Int64"),
        "s": pd.Series(["a", None, "b", np.nan], dtype=object),
        "c": pd.Categorical(["x", "y", None, "x"], categories=["y", "x"]),
        "b": [True, False, False, True],
    }, index=[10, 11, 12, 13])
    before = _snapshot(df)
    codec = TabularCodec().fit(df)
    M = codec.transform(df)
    M_before = M.copy()
    codec.inverse_transform(M)
    _assert_unchanged(df, before)
    np.testing.assert_array_equal(M, M_before)

    arr = np.array([[1.0, np.nan], [2.0, 5.0], [3.0, 6.0]])
    obj = np.array([[1, "a"], [None, "b"], [2.5, np.nan]], dtype=object)
    for X in (arr, obj):
        before = _snapshot(X)
        codec = TabularCodec().fit(X)
        codec.inverse_transform(codec.transform(X))
        _assert_unchanged(X, before)


def _mixed_frame(n=80, seed=7):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "f": rng.gamma(2.0, 3.0, n),
        "i": rng.integers(-5, 40, n),
        "f_na": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "const": np.full(n, 3.5),
        "c": rng.choice(["x", "y", "z"], n),
        "cat": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "mid", "hi"]),
        "b": rng.random(n) < 0.3,
    })
    return df


def _np_interp_reference(codec, M):
    """Numeric columns decoded the textbook way: np.interp per column."""
    from scipy.special import ndtr

    out, pos = {}, 0
    for col in codec.columns_:
        if col.kind == "categorical":
            pos += len(col.categories) + col.has_missing
            continue
        x = np.interp(ndtr(M[:, pos]), col.cdf, col.quantiles)
        out[col.name] = np.rint(x) if col.kind == "integer" else x
        pos += 1 + 2 * col.has_missing
    return out


def test_tensor_and_array_decode_alike_and_match_np_interp():
    torch = pytest.importorskip("torch")
    df = _mixed_frame()
    codec = TabularCodec().fit(df)
    M = np.random.default_rng(8).standard_normal((400, codec.width)) * 1.5
    from_array = codec.inverse_transform(M)
    from_tensor = codec.inverse_transform(torch.from_numpy(M))
    pd.testing.assert_frame_equal(from_array, from_tensor)
    for name, want in _np_interp_reference(codec, M).items():
        got = from_array[name].to_numpy(dtype=np.float64)
        present = ~np.isnan(got)
        _assert_close(got[present], want[present], name)
    assert (from_array["const"] == 3.5).all()


def test_decode_of_float32_tensor_from_a_net():
    torch = pytest.importorskip("torch")
    df = _mixed_frame()
    codec = TabularCodec().fit(df)
    T = torch.randn(300, codec.width, generator=torch.Generator().manual_seed(0))
    out = codec.inverse_transform(T)  # float32, as the nets return it
    ref = codec.inverse_transform(T.double().numpy())
    pd.testing.assert_frame_equal(out, ref)
    _check_decoded_frame(out, df)


def test_decoded_parts_assemble_like_one_decode():
    """Chunks decoded to plain arrays and assembled once (what sample does)
    give exactly the table of one inverse_transform of all rows."""
    torch = pytest.importorskip("torch")
    from synthaug.codecs.tabular_decode import ColumnCollector

    df = _mixed_frame()
    codec = TabularCodec().fit(df)
    T = torch.randn(700, codec.width, generator=torch.Generator().manual_seed(2)) * 1.5
    rows = ColumnCollector(codec, 700)
    for a, b in ((0, 1), (1, 300), (300, 700)):
        rows.add(codec.decode_columns(T[a:b]))
    joined = rows.result()
    pd.testing.assert_frame_equal(joined, codec.inverse_transform(T))
    _check_decoded_frame(joined, df)
    # one chunk of every row is used as it is; more rows than planned are
    # refused, fewer (curation left some out) give a shorter table
    whole = ColumnCollector(codec, 700).add(codec.decode_columns(T)).result()
    pd.testing.assert_frame_equal(whole, joined)
    short = ColumnCollector(codec, 700).add(codec.decode_columns(T[:5])).result()
    pd.testing.assert_frame_equal(short, joined.iloc[:5])
    empty = ColumnCollector(codec, 700).result()
    assert len(empty) == 0 and list(empty.dtypes) == list(joined.dtypes)
    with pytest.raises(ValueError, match="collector of 3"):
        ColumnCollector(codec, 3).add(codec.decode_columns(T[:5]))


def test_refit_and_pickle_drop_the_decode_cache():
    """Decoding caches index tensors per device: a refit on other columns
    must not reuse them, and a pickled codec carries no tensors."""
    import pickle

    codec = TabularCodec().fit(_mixed_frame())
    codec.inverse_transform(np.zeros((2, codec.width)))
    other = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    codec.fit(other)
    out = codec.inverse_transform(codec.transform(other))
    pd.testing.assert_frame_equal(out, other)
    state = pickle.loads(pickle.dumps(codec))
    assert "_plans" not in state.__dict__
    pd.testing.assert_frame_equal(state.inverse_transform(state.transform(other)), other)


def _knot_lookups(codec, u):
    """(bucket lookup, searchsorted) of CDF values ``u``: (columns, n)."""
    import torch

    plan = codec._plan(torch.device("cpu"))
    shifted_u = u + plan.shift
    want = torch.searchsorted(plan.shifted, shifted_u, right=True)
    got = None if plan.buckets is None else plan.buckets.first_above(u, shifted_u, plan.shifted)
    return got, want


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(1, 400), min_size=1, max_size=40),
    n_unique=st.integers(1, 3000),
    seed=st.integers(0, 2**16),
)
def test_bucket_lookup_finds_the_searchsorted_segment(counts, n_unique, seed):
    """The slice table is an exact stand-in for searchsorted: on columns with
    few heavily repeated values (uneven CDF steps) and many unique values (the
    quantile grid), for random CDF values, the knots themselves, the slice
    edges, 0 and 1."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "ties": np.repeat(np.arange(len(counts)), counts).astype(float),
        "many": rng.standard_normal(sum(counts)) * rng.integers(1, 1000, sum(counts)) % n_unique,
    })
    codec = TabularCodec().fit(df)
    plan = codec._plan(torch.device("cpu"))
    knots = [torch.as_tensor(c.cdf) for c in codec.columns_]
    # exactness must not hinge on the crowding limit: also force a table with
    # as many probes as the most crowded slice needs
    forced = Buckets.build(plan.shifted.numpy(), len(knots), "cpu", max_probes=10**9)
    probes = [torch.rand(500, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)),
              torch.tensor([0.0, 1.0, 0.5, 0.25, 1 - 2**-53])]
    for table in (plan.buckets, forced):
        if table is not None:
            probes.append(torch.arange(table.size, dtype=torch.float64) / table.size)
    for extra in probes:
        rows = [torch.cat([extra, k]) for k in knots]
        width = max(len(r) for r in rows)
        u = torch.stack([torch.nn.functional.pad(r, (0, width - len(r))) for r in rows])
        got, want = _knot_lookups(codec, u)
        if got is not None:
            assert torch.equal(got, want)
        shifted_u = u + plan.shift
        assert torch.equal(forced.first_above(u, shifted_u, plan.shifted), want)


def test_crowded_knots_fall_back_to_searchsorted():
    """A column whose CDF steps are too fine for any slice table decodes
    through searchsorted, to the same values."""
    torch = pytest.importorskip("torch")
    # one value holds almost every row: the other 800 knots (one per unique
    # value, below the quantile-grid limit) crowd near 0 and 1
    x = np.concatenate([np.zeros(1_000_000), np.arange(1, 401), -np.arange(1, 401)])
    codec = TabularCodec().fit(pd.DataFrame({"x": x}))
    assert codec._plan(torch.device("cpu")).buckets is None
    out = codec.inverse_transform(codec.transform(pd.DataFrame({"x": x[-1000:]})))
    np.testing.assert_array_equal(out["x"].to_numpy(), x[-1000:])


def test_typical_columns_get_a_slice_table():
    """Continuous and integer columns of ordinary data decode through the
    slice table (the fast path is the usual one)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.standard_normal(5000), "b": rng.integers(0, 90, 5000),
                       "c": rng.exponential(size=5000)})
    assert TabularCodec().fit(df)._plan(torch.device("cpu")).buckets is not None


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
def test_decode_on_cuda_matches_cpu():
    import torch

    df = _mixed_frame()
    codec = TabularCodec().fit(df)
    T = torch.randn(500, codec.width, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    cpu = codec.inverse_transform(T)
    gpu = codec.inverse_transform(T.cuda())
    for name in df.columns:
        if pd.api.types.is_float_dtype(cpu[name]):
            _assert_close(gpu[name].to_numpy(), cpu[name].to_numpy(), name)
        else:
            pd.testing.assert_series_equal(gpu[name], cpu[name])
