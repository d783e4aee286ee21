"""The tabular models' sampling temperature."""
from __future__ import annotations

import numpy as np
import pytest

from synthaug import TabularGAN, TabularVAE, load

TINY = dict(epochs=30, hidden_dims=(16,), latent_dim=4, device="cpu", random_state=0)
MODELS = {
    "vae": lambda **kw: TabularVAE(**TINY, **kw),
    "gan": lambda **kw: TabularGAN(discriminator_dims=(16,), **TINY, **kw),
}


@pytest.fixture(params=sorted(MODELS))
def make_model(request):
    return MODELS[request.param]


def _data():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal(3, 1, (60, 2))]
    return X, np.repeat([0, 1], 60)


def test_lower_temperature_draws_rows_nearer_the_class_centre(make_model):
    X, y = _data()
    spread = {}
    for t in (0.3, 1.0):
        model = make_model(temperature=t).fit(X, y)
        S, ys = model.sample(y={0: 2000}, random_state=1)
        spread[t] = S[:, 0].std()
    assert spread[0.3] < 0.8 * spread[1.0]


def test_temperature_only_changes_sampling_and_survives_save(make_model, tmp_path):
    X, y = _data()
    a = make_model(temperature=0.5).fit(X, y)
    b = make_model(temperature=1.0).fit(X, y)
    assert a.history_ == b.history_  # same training
    assert not np.array_equal(a.sample(50)[0], b.sample(50)[0])
    b.set_params(temperature=0.5)  # a fitted model can sample at another temperature
    np.testing.assert_array_equal(a.sample(50)[0], b.sample(50)[0])
    a.save(tmp_path / "m.synthaug")
    back = load(tmp_path / "m.synthaug")
    assert back.temperature == 0.5
    np.testing.assert_array_equal(back.sample(50)[0], a.sample(50)[0])


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-1.0, ValueError), ("x", TypeError)])
def test_bad_temperature(make_model, bad, exc):
    with pytest.raises(exc, match="temperature"):
        make_model(temperature=bad).fit(*_data())
