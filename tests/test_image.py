"""ImageVAE / ImageGAN: the estimator contract on images, the codec's layout,
dtype and range round trip, conditioning, persistence, pictures and the demo.

Every model is tiny (a few epochs, 8 channels); the one test that needs a
trained model (conditioning on digits) fits a small VAE or GAN for a few seconds.
"""
from __future__ import annotations

import os
import pickle
import struct
import zlib

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier
from torch.utils.data import Dataset, TensorDataset

import synthaug
from synthaug import ImageGAN, ImageVAE
from synthaug.cli import main
from synthaug.demo_image import run_image_demo
from synthaug.nets.conv import geometry
from synthaug.plot import png_bytes, sample_grid

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

FAST = dict(epochs=2, batch_size=32, width=8, latent_dim=4, device="cpu", random_state=0)
MODELS = [ImageVAE, ImageGAN]


@pytest.fixture(params=MODELS, ids=lambda c: c.__name__)
def make(request):
    """Factory of a tiny model of each image class: ``make(**overrides)``."""
    return lambda **kw: request.param(**{**FAST, **kw})


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.images, d.target  # float64 in [0, 16], (1797, 8, 8)


@pytest.fixture
def small(digits):
    """60 digits of classes 0-2 (20 each) as uint8 0-255, (N, H, W); fresh per test."""
    X, y = digits
    keep = np.concatenate([np.flatnonzero(y == c)[:20] for c in range(3)])
    return (X[keep] * 15.9).astype(np.uint8), y[keep].copy()


def read_png(data: bytes) -> np.ndarray:
    """Decode the unfiltered 8-bit PNGs that synthaug writes (grey or RGB)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks.setdefault(kind, b"")
        chunks[kind] += body
        pos += 12 + length
    w, h, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3}[colour]
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(h, 1 + w * channels)
    assert depth == 8 and (raw[:, 0] == 0).all()
    pixels = raw[:, 1:].reshape(h, w, channels)
    return pixels[..., 0] if channels == 1 else pixels


# ----------------------------------------------------------- sklearn API
# ------------------------------------------------ layout, dtype and range
def _cases():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1], 10)
    return {
        "uint8-NHW": (rng.randint(0, 256, (20, 8, 8)).astype(np.uint8), y, (0, 255)),
        "float64-0-16": (rng.uniform(0, 16, (20, 1, 8, 8)), y, (0, 16)),
        "int64-NCHW": (rng.randint(3, 40, (20, 1, 10, 10)).astype(np.int64), y, (3, 39)),
        "float32-unit": (rng.rand(20, 3, 12, 12).astype(np.float32), y, (0, 1)),
        "float32-signed": (rng.uniform(-1, 1, (20, 9, 13)).astype(np.float32), y, (-1, 1)),
        "tensor-unit": (torch.rand(20, 1, 16, 16, generator=torch.Generator().manual_seed(0)),
                        torch.tensor(y), (0, 1)),
        "tensor-uint8": (torch.randint(0, 256, (20, 3, 8, 8), dtype=torch.uint8,
                                       generator=torch.Generator().manual_seed(1)),
                         torch.tensor(y), (0, 255)),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_samples_keep_container_layout_dtype_and_range(make, case):
    X, y, (lo, hi) = _cases()[case]
    est = make().fit(X, y)
    S, ys = est.sample(30)
    assert type(S) is type(X) and S.dtype == X.dtype
    assert tuple(S.shape) == (30, *X.shape[1:])
    Sf = S.double() if isinstance(S, torch.Tensor) else S.astype(np.float64)
    assert Sf.min() >= lo and Sf.max() <= hi
    assert set(np.asarray(ys).tolist()) <= {0, 1}
    if not torch.is_floating_point(torch.as_tensor(S[:1])):
        assert (Sf == np.round(Sf) if isinstance(Sf, np.ndarray) else Sf == Sf.round()).all()


def test_dataset_input_uses_its_labels_and_item_type(make, digits):
    X, y = digits
    images = torch.tensor(X[:60, None] / 16.0, dtype=torch.float32)
    ds = TensorDataset(images, torch.tensor(y[:60]))
    est = make().fit(ds)
    np.testing.assert_array_equal(est.classes_, np.unique(y[:60]))
    S, ys = est.sample(12)
    assert isinstance(S, torch.Tensor) and S.shape == (12, 1, 8, 8) and S.dtype == torch.float32
    assert 0 <= S.min() and S.max() <= 1
    with pytest.raises(ValueError, match="y was given but X is a Dataset"):
        make().fit(ds, y[:60])

    class Unlabelled(Dataset):
        def __len__(self):
            return 20

        def __getitem__(self, i):
            return X[i].astype(np.float32)

    est = make().fit(Unlabelled())
    assert not est.conditional_ and est.sample(3).shape == (3, 8, 8)
    assert make().fit(Unlabelled(), y[:20]).conditional_  # labels may come separately


def test_dataset_of_unsupported_items(make):
    class PilLike(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return object(), 0

    with pytest.raises(TypeError, match=r"X\[0\].*ToTensor"):
        make().fit(PilLike())


@pytest.mark.parametrize("h, w", [(8, 8), (9, 13), (28, 28), (33, 64), (64, 64)])
def test_odd_and_large_sizes_round_trip(h, w):
    depth, bh, bw, ph, pw = geometry(h, w)
    assert (bh * 2**depth, bw * 2**depth) == (h + ph, w + pw) and min(bh, bw) >= 4
    X = np.random.RandomState(0).rand(4, 1, h, w).astype(np.float32)
    S = ImageVAE(**{**FAST, "epochs": 1}).fit(X).sample(2)
    assert S.shape == (2, 1, h, w)


# ------------------------------------------------------------ fit_resample
def test_fit_resample_tensor_in_tensor_out(make, small):
    X, y = small
    Xt = torch.tensor(X[:, None] / 255.0, dtype=torch.float32)
    yt = torch.tensor(y)
    Xr, yr = make(synthetic_ratio=0.5).fit_resample(Xt, yt)
    assert isinstance(Xr, torch.Tensor) and isinstance(yr, torch.Tensor)
    assert Xr.dtype == torch.float32 and yr.dtype == yt.dtype and len(Xr) == len(yr) == 90
    assert torch.equal(Xr[:60], Xt) and torch.equal(yr[:60], yt)
    with pytest.raises(TypeError, match="AugmentedDataset"):
        make().fit_resample(TensorDataset(Xt, yt), None)


# ---------------------------------------------------------------- bad input
def _bad_inputs():
    rng = np.random.RandomState(0)
    X = rng.rand(20, 1, 8, 8)
    y = np.repeat([0, 1], 10)
    nan = X.copy()
    nan[3, 0, 2, 2] = np.nan
    return [
        ("2-d", X.reshape(20, 64), y, ValueError, r"X must be 3-dimensional .* got shape \(20, 64\)"),
        ("5-d", X[:, None], y, ValueError, r"X must be 3-dimensional"),
        ("2-channels", rng.rand(20, 2, 8, 8), y, ValueError, r"X has 2 channels"),
        ("channels-last", rng.rand(20, 8, 8, 3), y, ValueError, r"channels-last.*transpose"),
        ("too-small", rng.rand(20, 7, 7), y, ValueError, r"X holds 7x7 images.*\[8, 64\]"),
        ("too-large", rng.rand(20, 1, 65, 32), y, ValueError, r"X holds 65x32 images"),
        ("one-image", X[:1], None, ValueError, r"X has 1 sample"),
        ("label-mismatch", X, y[:-1], ValueError, r"X has 20 rows but y has 19"),
        ("label-2d", X, np.c_[y, y], ValueError, r"\by\b.*1-dimensional"),
        ("single-class", X, np.zeros(20, int), ValueError, r"\by\b.*single class"),
        ("nan", nan, y, ValueError, r"X contains NaN"),
        ("bool", X > 0.5, y, TypeError, r"X has dtype kind 'b'"),
        ("strings", np.full((20, 8, 8), "a"), y, TypeError, r"X has dtype kind 'U'"),
        ("scalar", 3.0, None, TypeError, r"X must be a numpy array"),
    ]


@pytest.mark.parametrize(
    "X, y, exc, match", [c[1:] for c in _bad_inputs()], ids=[c[0] for c in _bad_inputs()]
)
def test_bad_fit_input(make, X, y, exc, match):
    with pytest.raises(exc, match=match):
        make().fit(X, y)


def test_caller_data_never_modified(make, small):
    X, y = small
    X.setflags(write=False)
    Xc, yc = X.copy(), y.copy()
    Xr, _ = make().fit_resample(X, y)
    Xr[:] = 0
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(y, yc)
    Xt = torch.tensor(Xc[:, None] / 255.0, dtype=torch.float32)
    before = Xt.clone()
    Xr, _ = make().fit_resample(Xt, torch.tensor(yc))
    Xr.zero_()
    assert torch.equal(Xt, before)


# ---------------------------------------------------- determinism, persistence
@pytest.mark.parametrize("container", ["numpy", "tensor"])
def test_save_load_bit_identical(make, small, tmp_path, container):
    X, y = small
    if container == "tensor":
        X = torch.tensor(X[:, None] / 255.0, dtype=torch.float32)
    est = make(sampling_strategy={0: 25}).fit(X, y)
    est.save(tmp_path / "m.synthaug")
    loaded = synthaug.load(tmp_path / "m.synthaug")
    assert type(loaded) is type(est) and loaded.get_params() == est.get_params()
    assert loaded.history_ == est.history_ and loaded.image_shape_ == est.image_shape_
    for rs in (None, 7):
        (S1, y1), (S2, y2) = est.sample(33, random_state=rs), loaded.sample(33, random_state=rs)
        assert type(S1) is type(S2) and S1.dtype == S2.dtype
        assert np.asarray(S1).tobytes() == np.asarray(S2).tobytes()
        np.testing.assert_array_equal(y1, y2)
    twin = pickle.loads(pickle.dumps(est))
    assert np.asarray(twin.sample(9)[0]).tobytes() == np.asarray(est.sample(9)[0]).tobytes()


# ------------------------------------------------------------- conditioning
@pytest.mark.parametrize(
    "cls, params, floor",
    [
        (ImageVAE, dict(epochs=40, latent_dim=8, learning_rate=3e-3), 0.6),
        (ImageGAN, dict(epochs=80, latent_dim=16, learning_rate=2e-3), 0.5),
    ],
    ids=["ImageVAE", "ImageGAN"],
)
@pytest.mark.slow
def test_conditioning_on_digits(digits, cls, params, floor):
    """A classifier trained on all real digits (5-nearest neighbours, 0.99
    accurate on real digits) labels most samples of class c as c (chance:
    0.1). Fitted on 20 digits per class, the VAE reaches 0.92-0.96 and the
    GAN 0.88-0.92 across random_state 0-2; the floors leave a wide margin
    for platform differences, so the test is not flaky."""
    X, y = digits
    clf = KNeighborsClassifier(n_neighbors=5).fit(X.reshape(len(X), -1), y)
    keep = np.concatenate([np.flatnonzero(y == c)[:20] for c in range(10)])
    est = cls(batch_size=32, width=8, device="cpu", random_state=0, **params)
    S, ys = est.fit(X[keep], y[keep]).sample(y=np.repeat(np.arange(10), 30), random_state=0)
    assert (clf.predict(S.reshape(len(S), -1)) == ys).mean() > floor


# ------------------------------------------------------------- pictures
def test_sample_grid_png(make, small, tmp_path):
    est = make().fit(*small)
    path = tmp_path / "grid.png"
    grid = sample_grid(est, per_class=5, path=path, scale=2, pad=1)
    pixels = read_png(path.read_bytes())
    np.testing.assert_array_equal(pixels, grid)
    assert grid.dtype == np.uint8 and grid.shape == (1 + 3 * 17, 1 + 5 * 17)  # 3 classes x 5
    assert os.listdir(tmp_path) == ["grid.png"]  # no temporary file left
    again = sample_grid(est, per_class=5, path=tmp_path / "again.png", scale=2, pad=1)
    np.testing.assert_array_equal(grid, again)  # random_state=0 by default


def test_sample_grid_rgb_and_errors(tmp_path):
    X = np.random.RandomState(0).randint(0, 256, (10, 3, 8, 8)).astype(np.uint8)
    est = ImageVAE(**FAST).fit(X)
    grid = sample_grid(est, per_class=3, path=tmp_path / "rgb.png")
    assert grid.shape == (2 + 34, 2 + 3 * 34, 3)  # one row, 8x8 cells enlarged 4x
    np.testing.assert_array_equal(read_png((tmp_path / "rgb.png").read_bytes()), grid)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        sample_grid(est, path=tmp_path / "missing" / "g.png")
    with pytest.raises(TypeError, match="image model"):
        sample_grid(synthaug.TabularVAE(epochs=1).fit(np.random.rand(10, 2)), path=tmp_path / "t.png")
    with pytest.raises(ValueError, match="uint8"):
        png_bytes(np.zeros((4, 4), np.float32))


def test_image_demo_writes_grid(tmp_path, capsys):
    out = tmp_path / "digits.png"
    result = run_image_demo(k=3, seeds=2, epochs=2, output=out)
    text = capsys.readouterr().out
    assert "paired gain" in text and str(out) in text
    assert read_png(out.read_bytes()).shape[0] > 10 * 32  # ten rows of 32-pixel cells
    assert len(result["accuracy_with"]) == 2 and all(0 <= a <= 1 for a in result["accuracy_with"])
    assert main(["demo", "--mode", "image", "--dataset", "wine"]) == 2
    assert "--dataset is for --mode tabular" in capsys.readouterr().err


# ------------------------------------------------------------------ CUDA
@cuda
def test_cuda_fit_then_load_on_cpu(make, small, tmp_path):
    est = make(device="cuda").fit(*small)
    est.save(tmp_path / "m.zip")
    cpu = synthaug.load(tmp_path / "m.zip", device="cpu")
    S, _ = cpu.sample(10, random_state=0)
    assert S.shape == (10, 8, 8) and S.dtype == np.uint8
    Xt = torch.tensor(small[0][:, None] / 255.0, dtype=torch.float32, device="cuda")
    Xr, _ = make(device="cuda").fit_resample(Xt, small[1])
    assert Xr.device.type == "cuda" and torch.equal(Xr[: len(Xt)], Xt)
