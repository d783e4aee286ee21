"""Shared fixtures: tiny data sets and fast factories for every tabular model.

A new tabular estimator joins the contract tests (tests/test_contract.py)
by adding one :class:`ModelSpec` to ``TABULAR_MODELS``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_blobs

from synthaug import TabularGAN, TabularVAE

# Two CPU cores run the whole suite; torch's default of one thread per core
# plus inter-op threads only adds contention for networks this small.
torch.set_num_threads(1)


@dataclass(frozen=True)
class ModelSpec:
    """How to build a tabular model for the tests.

    ``fast`` gives the smallest model that still exercises every code path
    (seconds for the whole suite); ``trained`` the few extra epochs a test
    needs when it asserts the model learned something (class conditioning).
    """

    name: str
    cls: type
    fast: dict = field(default_factory=dict)
    trained: dict = field(default_factory=dict)
    history_keys: frozenset = frozenset()

    def make(self, **params):
        return self.cls(**{**self.fast, **params})

    def make_trained(self, **params):
        return self.cls(**{**self.fast, **self.trained, **params})


TABULAR_MODELS = [
    ModelSpec(
        "TabularVAE",
        TabularVAE,
        fast=dict(
            epochs=8, batch_size=32, hidden_dims=(16,), latent_dim=4,
            device="cpu", random_state=0,
        ),
        trained=dict(epochs=80, hidden_dims=(32,), learning_rate=1e-2),
        history_keys=frozenset({"loss", "reconstruction", "kl"}),
    ),
    ModelSpec(
        "TabularGAN",
        TabularGAN,
        fast=dict(
            epochs=8, batch_size=30, hidden_dims=(16,), discriminator_dims=(16,),
            latent_dim=4, device="cpu", random_state=0,
        ),
        trained=dict(
            epochs=200, batch_size=None, hidden_dims=(32,), discriminator_dims=(32,),
            latent_dim=8, learning_rate=3e-3,
        ),
        history_keys=frozenset({"generator", "discriminator", "condition", "wasserstein"}),
    ),
]


@pytest.fixture(params=TABULAR_MODELS, ids=lambda spec: spec.name)
def spec(request) -> ModelSpec:
    """Each tabular model in turn (tests using it run once per model)."""
    return request.param


@pytest.fixture
def make_model(spec):
    """Factory for a fast model of the current spec: ``make_model(**overrides)``."""
    return spec.make


def _blobs(counts=(30, 20, 10), n_features=4, seed=0):
    X, y = make_blobs(
        n_samples=list(counts), n_features=n_features, cluster_std=0.7,
        centers=np.array([[-4.0] * n_features, [0.0] * n_features, [4.0] * n_features])[
            : len(counts)
        ],
        random_state=seed,
    )
    order = np.random.RandomState(seed).permutation(len(y))  # interleave classes
    return X[order], y[order]


@pytest.fixture
def blobs():
    """Numeric data, 60 rows x 4 float64 features, 3 imbalanced classes (30/20/10)
    with well separated means; fresh arrays per test."""
    return _blobs()


@pytest.fixture
def binary_blobs():
    """Numeric data, 2 imbalanced classes (30/12)."""
    return _blobs(counts=(30, 12))


@pytest.fixture
def mixed_df():
    """A 40-row DataFrame with every supported column kind, plus string labels.

    Columns: ``f`` float64 with NaN, ``i`` int64, ``c`` categorical whose
    dtype lists an unused category ``"never"``, ``s`` strings with a missing
    value, ``b`` bool. Labels: a Series named ``"label"`` ("no" x 24, "yes" x 16).
    """
    rng = np.random.RandomState(0)
    n = 40
    f = rng.normal(10.0, 2.0, n)
    f[[3, 17, 31]] = np.nan
    s = np.array(["red", "green", "blue", "green"] * 10, dtype=object)
    s[5] = None
    X = pd.DataFrame({
        "f": f,
        "i": rng.randint(0, 50, n).astype(np.int64),
        "c": pd.Categorical(
            rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi", "never"]
        ),
        "s": pd.Series(s),  # "str" dtype on pandas >= 3, object before
        "b": rng.rand(n) > 0.5,
    })
    y = pd.Series(np.where(np.arange(n) % 5 < 3, "no", "yes"), name="label")
    return X, y


@pytest.fixture
def no_global_rng_change():
    """Snapshots torch's and numpy's global RNG; call it to assert no change."""
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()

    def check():
        assert torch.equal(torch.get_rng_state(), torch_state), "torch global RNG changed"
        now = np.random.get_state()
        assert now[0] == np_state[0] and np.array_equal(now[1], np_state[1])
        assert now[2:] == np_state[2:], "numpy global RNG changed"

    return check
