"""sampling_strategy / synthetic_ratio arithmetic and sample()'s y specs."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.utils import check_sampling_strategy

from synthaug.core.plan import LabelPlan, labels_to_sample, new_rows_per_class

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)

STRINGS = ["auto", "minority", "not minority", "not majority", "all"]


def _y(counts, labels=None, seed=0):
    """A shuffled label vector with the given class counts."""
    labels = list(range(len(counts))) if labels is None else labels
    y = np.concatenate([np.full(n, lab) for lab, n in zip(labels, counts)])
    return np.random.default_rng(seed).permutation(y)


def ours(strategy, y, synthetic_ratio=None):
    classes, counts = np.unique(y, return_counts=True)
    out = new_rows_per_class(strategy, synthetic_ratio, classes, counts, y)
    assert out.dtype.kind == "i" and out.shape == classes.shape
    return out


def imblearn(strategy, y):
    classes = np.unique(y)
    target = check_sampling_strategy(strategy, y, "over-sampling")
    assert set(target) <= set(classes.tolist())
    return np.array([target.get(c, 0) for c in classes], dtype=np.int64)


def assert_same_as_imblearn(strategy, y):
    """Same new-row counts as imbalanced-learn, or a ValueError from both."""
    try:
        want = imblearn(strategy, y)
    except ValueError:
        with pytest.raises(ValueError):
            ours(strategy, y)
        return None
    np.testing.assert_array_equal(ours(strategy, y), want)
    return want


# No tied counts for the majority/minority classes, so imblearn's tie-break
# order never matters.
LABEL_VECTORS = [
    _y([20, 7]),
    _y([3, 50], labels=["neg", "pos"]),
    _y([5, 12, 30, 9], labels=["a", "b", "c", "d"], seed=1),
    _y([4, 11, 2, 11], labels=[3, 7, -1, 10], seed=2),
    _y([40, 6, 6, 17, 2], seed=3),
]


@pytest.mark.parametrize("y", LABEL_VECTORS, ids=lambda y: str(np.unique(y).tolist()))
@pytest.mark.parametrize("strategy", STRINGS)
def test_string_strategies_match_imblearn(strategy, y):
    want = assert_same_as_imblearn(strategy, y)
    assert want is not None
    binary_not_minority = strategy == "not minority" and len(np.unique(y)) == 2
    assert (want.sum() == 0) == binary_not_minority


def test_string_strategies_known_values():
    y = _y([5, 12, 30, 9], labels=["a", "b", "c", "d"])
    np.testing.assert_array_equal(ours("auto", y), [25, 18, 0, 21])
    np.testing.assert_array_equal(ours("not majority", y), [25, 18, 0, 21])
    np.testing.assert_array_equal(ours("minority", y), [25, 0, 0, 0])
    np.testing.assert_array_equal(ours("not minority", y), [0, 18, 0, 21])
    np.testing.assert_array_equal(ours("all", y), [25, 18, 0, 21])


@pytest.mark.parametrize("ratio", [0.3, 0.35, 0.36, 0.4, 0.5, 0.75, 0.999, 1.0, 1])
@pytest.mark.parametrize("y", [_y([20, 7]), _y([3, 50], labels=["neg", "pos"])])
def test_float_strategy_matches_imblearn(ratio, y):
    assert_same_as_imblearn(ratio, y)


def test_float_strategy_known_values():
    y = _y([20, 7])
    np.testing.assert_array_equal(ours(0.5, y), [0, 3])  # 10 minority rows after
    np.testing.assert_array_equal(ours(1.0, y), [0, 13])
    np.testing.assert_array_equal(ours(np.float64(0.75), y), [0, 8])


@pytest.mark.parametrize("y", LABEL_VECTORS, ids=lambda y: str(np.unique(y).tolist()))
def test_dict_and_callable_strategies_match_imblearn(y):
    classes, counts = np.unique(y, return_counts=True)
    target = {classes[0].item(): int(counts[0]) + 5, classes[-1].item(): int(counts[-1])}
    want = assert_same_as_imblearn(target, y)
    np.testing.assert_array_equal(want[[0, -1]], [5, 0])
    assert want[1:-1].sum() == 0

    def double_all(labels):
        cls, cnt = np.unique(labels, return_counts=True)
        return {c: 2 * int(n) for c, n in zip(cls.tolist(), cnt)}

    want = assert_same_as_imblearn(double_all, y)
    np.testing.assert_array_equal(want, counts)


def test_callable_receives_y():
    y = _y([6, 9], labels=["x", "y"])
    seen = []

    def strategy(labels):
        seen.append(labels)
        return {"x": 9}

    np.testing.assert_array_equal(ours(strategy, y), [3, 0])
    assert len(seen) == 1 and np.array_equal(seen[0], y)


@st.composite
def count_vectors(draw):
    k = draw(st.integers(2, 6))
    return draw(st.lists(st.integers(1, 80), min_size=k, max_size=k, unique=True))


@SETTINGS
@given(count_vectors(), st.data())
def test_random_count_vectors_match_imblearn(counts, data):
    y = _y(counts, labels=[f"c{i}" for i in range(len(counts))])
    for strategy in STRINGS:
        assert_same_as_imblearn(strategy, y)
    # a dict of targets, some below the current count (both must refuse those)
    classes = np.unique(y)
    chosen = data.draw(st.lists(st.sampled_from(classes.tolist()), min_size=1, unique=True))
    target = {c: counts[int(c[1:])] + data.draw(st.integers(-2, 40)) for c in chosen}
    assert_same_as_imblearn(target, y)
    assert_same_as_imblearn(lambda labels: target, y)
    if len(counts) == 2:
        ratio = data.draw(st.floats(0.01, 1.0))
        assert_same_as_imblearn(ratio, y)


@pytest.mark.parametrize("ratio", [0.25, 0.5, 1, 1.5, 2.0, 0.1])
def test_synthetic_ratio_scales_every_class(ratio):
    y = _y([5, 12, 30, 9], labels=["a", "b", "c", "d"])
    counts = np.array([5, 12, 30, 9])
    # synthetic_ratio wins over sampling_strategy
    got = ours("minority", y, synthetic_ratio=ratio)
    np.testing.assert_array_equal(got, [round(ratio * n) for n in counts])


def test_synthetic_ratio_balanced_data():
    y = _y([10, 10])
    np.testing.assert_array_equal(ours("auto", y), [0, 0])
    np.testing.assert_array_equal(ours("auto", y, synthetic_ratio=0.5), [5, 5])


# ------------------------------------------------------------ strategy errors
def test_float_strategy_needs_binary_y():
    with pytest.raises(ValueError, match="binary"):
        ours(0.5, _y([5, 12, 30]))


@pytest.mark.parametrize("ratio", [0.0, -0.5, 1.5])
def test_float_strategy_out_of_range(ratio):
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        ours(ratio, _y([20, 7]))


@pytest.mark.parametrize("ratio", [0.2, 0.35, 0.36])
def test_float_strategy_that_adds_no_rows_or_removes_some(ratio):
    # 0.35 * 20 = 7 minority rows: already there; imbalanced-learn refuses it too
    with pytest.raises(ValueError, match="ratio"):
        ours(ratio, _y([20, 7]))


def test_dict_target_below_current_count():
    with pytest.raises(ValueError, match="12"):
        ours({"b": 11}, _y([5, 12], labels=["a", "b"]))


def test_dict_unknown_class():
    with pytest.raises(ValueError, match="'zebra'"):
        ours({"zebra": 40}, _y([5, 12], labels=["a", "b"]))


def test_dict_non_integer_target():
    with pytest.raises(ValueError, match="int"):
        ours({"a": 7.5}, _y([5, 12], labels=["a", "b"]))


def test_unknown_string_strategy():
    with pytest.raises(ValueError, match="'majority'"):
        ours("majority", _y([5, 12]))
    with pytest.raises(ValueError, match="unknown"):
        ours("most", _y([5, 12]))


@pytest.mark.parametrize("bad", [["a"], None, True, object()])
def test_strategy_of_wrong_type(bad):
    with pytest.raises(TypeError, match="sampling_strategy"):
        ours(bad, _y([5, 12]))


# ---------------------------------------------------------- labels_to_sample
CLASSES = np.array(["a", "b", "c"], dtype=object)
COUNTS = np.array([10, 25, 5])


@SETTINGS
@given(
    st.lists(st.integers(1, 1000), min_size=1, max_size=7),
    st.integers(1, 5000),
)
def test_none_follows_class_proportions(counts, n):
    counts = np.array(counts)
    classes = np.arange(len(counts)) * 10
    idx = labels_to_sample(n, None, classes, counts)
    assert idx.shape == (n,) and idx.dtype.kind == "i"
    got = np.bincount(idx, minlength=len(counts))
    assert got.sum() == n
    quota = n * counts / counts.sum()
    assert np.all(np.abs(got - quota) < 1)  # largest remainder: floor or ceil
    np.testing.assert_array_equal(labels_to_sample(n, None, classes, counts), idx)


def test_none_exact_proportions():
    idx = labels_to_sample(8, None, CLASSES, COUNTS)
    np.testing.assert_array_equal(np.bincount(idx, minlength=3), [2, 5, 1])


def test_single_label():
    np.testing.assert_array_equal(labels_to_sample(4, "b", CLASSES, COUNTS), [1, 1, 1, 1])
    ints = np.array([0, 5, 9])
    np.testing.assert_array_equal(labels_to_sample(2, np.int64(9), ints, COUNTS), [2, 2])


def test_array_of_labels():
    y = ["c", "a", "c", "b"]
    for spec in (y, np.array(y), np.array(y, dtype=object)):
        np.testing.assert_array_equal(labels_to_sample(None, spec, CLASSES, COUNTS), [2, 0, 2, 1])
    np.testing.assert_array_equal(labels_to_sample(4, y, CLASSES, COUNTS), [2, 0, 2, 1])
    ints = np.array([0, 5, 9])
    np.testing.assert_array_equal(
        labels_to_sample(None, np.array([9, 0, 0]), ints, COUNTS), [2, 0, 0]
    )


def test_dict_of_counts():
    idx = labels_to_sample(None, {"c": 3, "a": 1, "b": 0}, CLASSES, COUNTS)
    np.testing.assert_array_equal(np.bincount(idx, minlength=3), [1, 0, 3])
    assert len(labels_to_sample(4, {"c": 3, "a": 1}, CLASSES, COUNTS)) == 4
    ints = np.array([0, 5, 9])
    idx = labels_to_sample(None, {np.int64(5): 2}, ints, COUNTS)
    np.testing.assert_array_equal(idx, [1, 1])


@pytest.mark.parametrize(
    "n, y",
    [(3, "zebra"), (None, ["a", "zebra"]), (None, {"a": 1, "zebra": 2})],
)
def test_unknown_label_is_named(n, y):
    with pytest.raises(ValueError, match="'zebra'"):
        labels_to_sample(n, y, CLASSES, COUNTS)


@pytest.mark.parametrize("n", [0, -1])
@pytest.mark.parametrize("y", [None, "a"])
def test_n_samples_below_one(n, y):
    with pytest.raises(ValueError, match="n_samples"):
        labels_to_sample(n, y, CLASSES, COUNTS)


@pytest.mark.parametrize("n", [2.0, 2.5, "3", None, True, np.float64(3)])
def test_n_samples_not_int(n):
    with pytest.raises(TypeError, match="n_samples"):
        labels_to_sample(n, None, CLASSES, COUNTS)


def test_n_samples_numpy_int_accepted():
    assert len(labels_to_sample(np.int32(7), None, CLASSES, COUNTS)) == 7


def test_n_samples_disagrees_with_array_or_dict():
    with pytest.raises(ValueError, match="n_samples=3"):
        labels_to_sample(3, ["a", "b"], CLASSES, COUNTS)
    with pytest.raises(ValueError, match="n_samples=5"):
        labels_to_sample(5, {"a": 1, "b": 2}, CLASSES, COUNTS)


def test_bad_y_specs():
    with pytest.raises(ValueError, match="0 samples"):
        labels_to_sample(None, [], CLASSES, COUNTS)
    with pytest.raises(ValueError, match="0 samples"):
        labels_to_sample(None, {"a": 0}, CLASSES, COUNTS)
    with pytest.raises(ValueError, match="1-dimensional"):
        labels_to_sample(None, [["a"], ["b"]], CLASSES, COUNTS)
    with pytest.raises(ValueError):
        labels_to_sample(None, {"a": -2}, CLASSES, COUNTS)
    with pytest.raises(TypeError):
        labels_to_sample(None, {"a": 1.5}, CLASSES, COUNTS)


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 50), min_size=1, max_size=8),
    cut=st.tuples(st.integers(0, 400), st.integers(0, 400)),
)
def test_label_plan_take_matches_one_label_per_row(lengths, cut):
    """A plan stored as runs hands out, for any row range, exactly the labels
    of writing every run out row by row (empty runs and ranges included)."""
    classes = np.arange(len(lengths)) * 3 + 1
    rows = np.repeat(classes, lengths)
    plan = LabelPlan(classes, np.array(lengths))
    assert len(plan) == len(rows)
    start, stop = sorted(min(c, len(rows)) for c in cut)
    got = plan.take(start, stop)
    np.testing.assert_array_equal(got, rows[start:stop])
    assert got.dtype == np.int64
