"""TabularVAE-only behaviour: the sampling temperature."""
from __future__ import annotations

import numpy as np
import pytest

from synthaug import TabularVAE, load

TINY = dict(epochs=30, hidden_dims=(16,), latent_dim=4, device="cpu", random_state=0)


def _data():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal(3, 1, (60, 2))]
    return X, np.repeat([0, 1], 60)


def test_lower_temperature_draws_rows_nearer_the_class_centre():
    X, y = _data()
    spread = {}
    for t in (0.3, 1.0):
        model = TabularVAE(temperature=t, **TINY).fit(X, y)
        S, ys = model.sample(y={0: 2000}, random_state=1)
        spread[t] = S[:, 0].std()
    assert spread[0.3] < 0.8 * spread[1.0]


def test_temperature_only_changes_sampling_and_survives_save(tmp_path):
    X, y = _data()
    a = TabularVAE(temperature=0.5, **TINY).fit(X, y)
    b = TabularVAE(temperature=1.0, **TINY).fit(X, y)
    assert a.history_ == b.history_  # same training
    assert not np.array_equal(a.sample(50)[0], b.sample(50)[0])
    b.set_params(temperature=0.5)  # a fitted model can sample at another temperature
    np.testing.assert_array_equal(a.sample(50)[0], b.sample(50)[0])
    a.save(tmp_path / "m.synthaug")
    back = load(tmp_path / "m.synthaug")
    assert back.temperature == 0.5
    np.testing.assert_array_equal(back.sample(50)[0], a.sample(50)[0])


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-1.0, ValueError), ("x", TypeError)])
def test_bad_temperature(bad, exc):
    with pytest.raises(exc, match="temperature"):
        TabularVAE(temperature=bad, **TINY).fit(*_data())
