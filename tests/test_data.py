"""The torch Dataset layer: SyntheticDataset, AugmentedDataset, augment_batch."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

from synthaug import AugmentedDataset, ImageGAN, ImageVAE, SyntheticDataset, TabularVAE, augment_batch

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

TINY = dict(epochs=2, batch_size=32, width=8, latent_dim=4, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def images():
    """90 digits of classes 0-2 as float32 tensors in [0, 1], (N, 1, 8, 8)."""
    d = load_digits()
    keep = np.concatenate([np.flatnonzero(d.target == c)[:30] for c in range(3)])
    X = torch.tensor(d.images[keep, None] / 16.0, dtype=torch.float32)
    return X, torch.tensor(d.target[keep])


@pytest.fixture(scope="module")
def vae(images):
    return ImageVAE(**TINY).fit(*images)


def collect(loader):
    xs, ys = zip(*[(x, y) for x, y in loader])
    return torch.cat(xs), torch.cat(ys)


# --------------------------------------------------------- SyntheticDataset
def test_items_identical_across_worker_counts_and_order(vae):
    ds = SyntheticDataset(vae, 70, seed=5, chunk_size=16)
    direct = [ds[i] for i in range(70)]
    backwards = SyntheticDataset(vae, 70, seed=5, chunk_size=16)
    for i in reversed(range(70)):  # another access order, fresh cache
        x, y = backwards[i]
        assert torch.equal(x, direct[i][0]) and y == direct[i][1]
    perm = np.random.RandomState(0).permutation(70).tolist()
    results = []
    for workers in (0, 2):
        fresh = SyntheticDataset(vae, 70, seed=5, chunk_size=16)
        results.append(collect(DataLoader(fresh, batch_size=8, sampler=perm, num_workers=workers)))
    expected_x = torch.stack([direct[i][0] for i in perm])
    expected_y = torch.tensor([direct[i][1] for i in perm])
    for xs, ys in results:
        assert torch.equal(xs, expected_x) and torch.equal(ys, expected_y)


def test_seed_and_index_define_the_item(vae):
    a, b = SyntheticDataset(vae, 40, seed=1), SyntheticDataset(vae, 40, seed=1)
    c = SyntheticDataset(vae, 40, seed=2)
    assert all(torch.equal(a[i][0], b[i][0]) for i in range(40))
    assert not all(torch.equal(a[i][0], c[i][0]) for i in range(40))
    assert len({a[i][0].sum().item() for i in range(40)}) > 30  # items differ from each other


def test_labels_proportions_order_and_types(vae):
    ds = SyntheticDataset(vae, 30)
    labels = [ds[i][1] for i in range(30)]
    assert sorted(labels) == [0] * 10 + [1] * 10 + [2] * 10  # training proportions
    assert labels != sorted(labels)  # shuffled, so an unshuffled loader sees mixed classes
    assert all(type(v) is int for v in labels)
    given = [2, 0, 0, 1, 2]
    ds = SyntheticDataset(vae, None, y=given)
    assert len(ds) == 5 and [ds[i][1] for i in range(5)] == given
    as_tensor = SyntheticDataset(vae, None, y=torch.tensor(given))
    assert [as_tensor[i][1] for i in range(5)] == given
    x, _ = ds[-1]
    assert x.shape == (1, 8, 8) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert [SyntheticDataset(vae, 4, y={1: 4})[i][1] for i in range(4)] == [1] * 4


def test_generation_is_chunked_and_cached(vae, monkeypatch):
    calls = []
    real_sample = type(vae).sample

    def counting(self, *args, **kwargs):
        calls.append(kwargs.get("random_state"))
        return real_sample(self, *args, **kwargs)

    monkeypatch.setattr(type(vae), "sample", counting)
    ds = SyntheticDataset(vae, 100, chunk_size=32)
    for i in range(100):
        ds[i]
    ds[5], ds[99]
    assert len(calls) == 4 == ds.n_chunks and len(set(calls)) == 4  # one seed per chunk


def test_transforms_and_cache_safety(vae):
    def scrub(x):
        x.zero_()  # an in-place transform must not change the cached chunk
        return x

    plain = SyntheticDataset(vae, 10, seed=3)
    ds = SyntheticDataset(vae, 10, seed=3, transform=scrub, target_transform=lambda v: v + 100)
    x, y = ds[4]
    assert x.abs().sum() == 0 and y == plain[4][1] + 100
    ds.transform = None
    assert torch.equal(ds[4][0], plain[4][0])


def test_index_errors_and_repr(vae):
    ds = SyntheticDataset(vae, 10, seed=7, chunk_size=4)
    assert torch.equal(ds[-1][0], ds[9][0])
    with pytest.raises(IndexError):
        ds[10]
    with pytest.raises(TypeError):
        ds[1.5]
    ds[0]
    text = repr(ds)
    assert text.startswith("SyntheticDataset(ImageVAE, n_samples=10, seed=7)")
    assert "Chunks: 2 of 3 drawn (chunk_size=4)" in text and "Label counts" in text


def test_bad_arguments(vae, images):
    with pytest.raises(ValueError, match="n_samples"):
        SyntheticDataset(vae, 0)
    with pytest.raises(TypeError, match="seed"):
        SyntheticDataset(vae, 5, seed=-1)
    with pytest.raises(ValueError, match="not seen in fit"):
        SyntheticDataset(vae, 5, y=7)
    unlabelled = ImageVAE(**TINY).fit(images[0])
    with pytest.raises(ValueError, match="without labels"):
        SyntheticDataset(unlabelled, 5, y=0)
    ds = SyntheticDataset(unlabelled, 5)
    assert isinstance(ds[0], torch.Tensor) and ds[0].shape == (1, 8, 8)


def test_materialized_dataset_pickles_without_model(vae):
    ds = SyntheticDataset(vae, 20)
    lazy = pickle.loads(pickle.dumps(ds))
    assert lazy.generator is not None  # not drawn yet: workers need the model
    ds.materialize()
    twin = pickle.loads(pickle.dumps(ds))
    assert twin.generator is None  # what spawned workers receive: no model, no CUDA
    assert all(torch.equal(twin[i][0], ds[i][0]) for i in range(20))


def test_tabular_items_are_float_tensors():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), np.repeat([0, 1], 20)
    model = TabularVAE(epochs=2, hidden_dims=(8,), latent_dim=2, device="cpu", random_state=0)
    ds = SyntheticDataset(model.fit(X, y), 12)
    x, label = ds[0]
    assert x.dtype == torch.float32 and x.shape == (3,) and label in (0, 1)


# -------------------------------------------------------- AugmentedDataset
def test_augmented_dataset_real_first_then_synthetic(vae, images):
    X, y = images
    real = TensorDataset(X, y)
    aug = AugmentedDataset(real, vae, ratio=0.5, seed=1)
    assert len(aug) == 90 + 45
    for i in (0, 37, 89):
        assert torch.equal(aug[i][0], X[i]) and torch.equal(aug[i][1], y[i])
    x, label = aug[100]
    assert x.dtype == X.dtype and x.shape == X.shape[1:]
    assert isinstance(label, torch.Tensor) and label.dtype == y.dtype  # like the real labels
    xs, ys = collect(DataLoader(aug, batch_size=50, shuffle=False))  # default collate
    assert xs.shape == (135, 1, 8, 8) and torch.equal(xs[:90], X)
    assert "90 real + 45 synthetic" in repr(aug)


def test_set_epoch_refresh(vae, images):
    real = TensorDataset(*images)
    aug = AugmentedDataset(real, vae, ratio=0.2, seed=1)
    first = [aug[i][0] for i in range(90, 108)]
    aug.set_epoch(1)
    second = [aug[i][0] for i in range(90, 108)]
    assert not all(torch.equal(a, b) for a, b in zip(first, second))
    assert torch.equal(aug[3][0], images[0][3])  # real items never change
    aug.set_epoch(0)
    assert all(torch.equal(a, aug[90 + i][0]) for i, a in enumerate(first))  # deterministic
    other = AugmentedDataset(real, vae, ratio=0.2, seed=1)
    other.set_epoch(1)
    assert all(torch.equal(b, other[90 + i][0]) for i, b in enumerate(second))
    fixed = AugmentedDataset(real, vae, ratio=0.2, seed=1, refresh=False)
    before = fixed[95][0]
    fixed.set_epoch(3)
    assert torch.equal(before, fixed[95][0])


def test_augmented_transform_applies_to_both_and_workers_agree(vae, images):
    real = TensorDataset(*images)
    flip = lambda x: x.flip(-1)  # noqa: E731
    aug = AugmentedDataset(real, vae, ratio=0.3, transform=flip, seed=4)
    plain = AugmentedDataset(real, vae, ratio=0.3, seed=4)
    for i in (2, 100):
        assert torch.equal(aug[i][0], plain[i][0].flip(-1))
    batches = [collect(DataLoader(plain, batch_size=16, num_workers=w)) for w in (0, 2)]
    assert torch.equal(batches[0][0], batches[1][0]) and torch.equal(batches[0][1], batches[1][1])


def test_augmented_dataset_with_tabular_model():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), np.repeat([0, 1], 20)
    model = TabularVAE(epochs=2, hidden_dims=(8,), latent_dim=2, device="cpu", random_state=0)
    real = TensorDataset(torch.tensor(X), torch.tensor(y))
    aug = AugmentedDataset(real, model.fit(X, y), ratio=1.0)
    xs, ys = collect(DataLoader(aug, batch_size=20))
    assert xs.shape == (80, 3) and xs.dtype == torch.float64 and set(ys[40:].tolist()) <= {0, 1}
    assert torch.equal(xs[:40], torch.tensor(X))


def test_augmented_dataset_errors(vae, images):
    with pytest.raises(ValueError, match="ratio"):
        AugmentedDataset(TensorDataset(*images), vae, ratio=-1)
    unlabelled = ImageVAE(**TINY).fit(images[0])
    with pytest.raises(ValueError, match="without labels"):
        AugmentedDataset(TensorDataset(*images), unlabelled)
    assert len(AugmentedDataset(TensorDataset(*images), vae, ratio=0)) == 90


# ------------------------------------------------------------ augment_batch
def test_augment_batch(vae, images):
    X, y = images
    xb, yb = X[:10], y[:10]
    xa, ya = augment_batch(vae, xb, yb, ratio=1.5, seed=3)
    assert xa.shape == (25, 1, 8, 8) and xa.dtype == xb.dtype and ya.dtype == yb.dtype
    assert torch.equal(xa[:10], xb) and torch.equal(ya[:10], yb)
    assert ya[10:].tolist() == (yb.tolist() * 2)[:15]  # the batch's own class mix
    again, _ = augment_batch(vae, xb, yb, ratio=1.5, seed=3)
    assert torch.equal(again, xa)
    fresh1, _ = augment_batch(vae, xb, yb)
    fresh2, _ = augment_batch(vae, xb, yb)
    assert not torch.equal(fresh1, fresh2)  # seed=None: new samples each call
    assert augment_batch(vae, xb, yb, ratio=0)[0] is xb
    with pytest.raises(ValueError, match="y is required"):
        augment_batch(vae, xb)
    with pytest.raises(TypeError, match="x must be a torch tensor"):
        augment_batch(vae, xb.numpy(), yb)


def test_augment_batch_shape_mismatch(images):
    gan = ImageGAN(**TINY).fit(images[0], images[1])
    with pytest.raises(ValueError, match="shaped like x"):
        augment_batch(gan, torch.zeros(4, 1, 10, 10), images[1][:4])


@cuda
def test_cuda_generator_materializes_in_main_process(images):
    model = ImageVAE(**{**TINY, "device": "cuda"}).fit(*images)
    ds = SyntheticDataset(model, 50, chunk_size=16)
    assert len(ds._cache) == ds.n_chunks  # drawn at construction, on the GPU
    assert pickle.loads(pickle.dumps(ds)).generator is None
    xs, _ = collect(DataLoader(ds, batch_size=10, num_workers=2))
    assert xs.device.type == "cpu" and xs.shape == (50, 1, 8, 8)
    xb, yb = augment_batch(model, images[0][:8].cuda(), images[1][:8].cuda(), seed=0)
    assert xb.is_cuda and yb.is_cuda and len(xb) == 16


class _ShortGenerator(BaseEstimator):
    """A fitted-looking generator that, like a curating model falling short,
    leaves out the last row asked of each call's last class, and writes the
    label into the row so that the test can check where rows land."""

    def __init__(self):
        self.device_ = torch.device("cpu")
        self.conditional_ = True
        self.classes_ = np.array([0, 1, 2])
        self.class_counts_ = np.array([10, 10, 10])
        self.sample_batch_size_ = 8
        self.calls = 0

    def fit(self, X, y=None):  # check_is_fitted wants an estimator; this one is made fitted
        return self

    def sample(self, n_samples=None, y=None, *, random_state=None):
        self.calls += 1
        labels = np.asarray(y)
        if len(labels) > 1:
            labels = np.delete(labels, np.flatnonzero(labels == labels[-1])[-1])
        rows = np.c_[labels, np.full(len(labels), random_state % 1000)].astype(np.float32)
        return rows, labels


def test_a_generator_that_falls_short_still_gives_every_item():
    """A curating model may return fewer rows than asked; the dataset draws
    the missing labels again, so every item exists and carries its label."""
    gen = _ShortGenerator()
    ds = SyntheticDataset(gen, 20, seed=3, chunk_size=8)
    items = [ds[i] for i in range(len(ds))]
    assert len(items) == 20 and gen.calls > ds.n_chunks  # some labels were drawn again
    assert [label for _, label in items] == ds.labels.tolist()
    assert all(int(x[0]) == label for x, label in items)  # each row is of its own label


def test_a_curating_model_that_never_passes_says_what_to_do():
    from conftest import TABULAR_MODELS

    X, y = TABULAR_MODELS[0].data()
    hopeless = TABULAR_MODELS[0].make(epochs=1, curate=True, min_confidence=0.999,
                                      overgenerate=1.0).fit(X, y)
    with pytest.raises(RuntimeError, match="min_confidence"):
        SyntheticDataset(hopeless, 30, seed=0)[0]
