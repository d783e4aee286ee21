"""Shared fixtures: tiny data sets and fast factories for every model.

A new estimator joins the contract tests (tests/test_contract.py) by adding
one :class:`ModelSpec` to ``MODELS`` (and to ``TABULAR_MODELS`` for the
tabular tests in tests/test_tabular.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

from synthaug import ImageGAN, ImageVAE, TabularGAN, TabularVAE, TextLM

# Two CPU cores run the whole suite; torch's default of one thread per core
# plus inter-op threads only adds contention for networks this small, and
# OpenBLAS's spinning threads slowed scikit-learn's check suites fivefold on
# a shared machine (56 s against 10 s): one thread each, for the session.
torch.set_num_threads(1)
_ONE_THREAD = threadpool_limits(limits=1)


@dataclass(frozen=True)
class ModelSpec:
    """How to build a model, and data of its kind, for the tests.

    ``fast`` gives the smallest model that still exercises every code path
    (seconds for the whole suite); ``trained`` the few extra epochs a test
    needs when it asserts the model learned something (class conditioning).
    ``modality`` ("tabular", "image" or "text") picks the data of
    :meth:`data` and the file format of :attr:`file_suffix`.
    """

    name: str
    cls: type
    fast: dict = field(default_factory=dict)
    trained: dict = field(default_factory=dict)
    history_keys: frozenset = frozenset()
    modality: str = "tabular"

    def make(self, **params):
        return self.cls(**{**self.fast, **params})

    def make_trained(self, **params):
        return self.cls(**{**self.fast, **self.trained, **params})

    def data(self, counts=(30, 20, 10)):
        """Fresh labelled data of this model's kind, classes 0, 1, 2 with
        ``counts`` rows: blobs (tables), digits (uint8 images, (N, 8, 8)) or
        sentences (a list of str) of three topics."""
        return {"tabular": _blobs, "image": _digits, "text": _sentences}[self.modality](counts)

    @property
    def file_suffix(self) -> str:
        return {"tabular": ".csv", "image": ".npy", "text": ".jsonl"}[self.modality]


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


IMAGE_FAST = dict(epochs=2, batch_size=32, width=4, latent_dim=4, device="cpu", random_state=0)
IMAGE_MODELS = [
    ModelSpec("ImageVAE", ImageVAE, fast=IMAGE_FAST, trained=dict(epochs=40, width=8),
              history_keys=frozenset({"loss", "reconstruction", "kl"}), modality="image"),
    ModelSpec("ImageGAN", ImageGAN, fast=IMAGE_FAST, trained=dict(epochs=40, width=8),
              history_keys=frozenset({"discriminator", "generator"}), modality="image"),
]
TEXT_MODEL = ModelSpec(
    "TextLM", TextLM,
    fast=dict(width=16, n_layers=1, n_heads=2, context_length=16, vocab_size=280, max_steps=8,
              device="cpu", random_state=0),
    trained=dict(width=32, max_steps=150, learning_rate=1e-2, dropout=0.0),
    history_keys=frozenset({"loss", "val_loss", "steps", "best_step"}), modality="text",
)
MODELS = [*TABULAR_MODELS, *IMAGE_MODELS, TEXT_MODEL]


@pytest.fixture(params=TABULAR_MODELS, ids=lambda spec: spec.name)
def spec(request) -> ModelSpec:
    """Each tabular model in turn (tests using it run once per model)."""
    return request.param


@pytest.fixture(params=MODELS, ids=lambda spec: spec.name)
def model(request) -> ModelSpec:
    """Each of the five models in turn, with data of its kind (spec.data())."""
    return request.param


@pytest.fixture
def make_model(spec):
    """Factory for a fast model of the current spec: ``make_model(**overrides)``."""
    return spec.make


def _digits(counts=(30, 20, 10)):
    d = _load_digits()
    keep = np.concatenate([np.flatnonzero(d.target == c)[:k] for c, k in enumerate(counts)])
    keep = keep[np.random.RandomState(0).permutation(len(keep))]  # interleave classes
    return (d.images[keep] * 15.9).astype(np.uint8), d.target[keep].copy()


def _load_digits():
    from sklearn.datasets import load_digits

    return load_digits()


_TOPICS = [
    (["cat", "dog", "cow", "duck"], ["runs", "sleeps", "eats"], ["in the field", "by the barn"]),
    (["one", "two", "six", "ten"], ["plus", "minus"], ["is seven", "is nine"]),
    (["red", "blue", "green"], ["sky", "sea", "leaf"], ["at dawn", "at night"]),
]


def _sentences(counts=(30, 20, 10)):
    """Short texts of three topics that share no word (labels 0, 1, 2)."""
    rng = np.random.RandomState(0)
    texts, labels = [], []
    for label, (a, b, c) in enumerate(_TOPICS[: len(counts)]):
        texts += [f"{rng.choice(a)} {rng.choice(b)} {rng.choice(c)}" for _ in range(counts[label])]
        labels += [label] * counts[label]
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.asarray(labels)[order]


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
