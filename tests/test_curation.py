"""Curation of synthetic rows (``curate=True``) for the tabular models: the
data-maps judge, the rounds of over-generation, and the contract around it.

Toy data: two overlapping 2-d classes, where an undertrained generator
writes many rows that look like the other class; curation must keep the
rows a classifier of the real rows places confidently in their class.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

import synthaug
from conftest import TABULAR_MODELS
from synthaug.datamaps import DataMapCurator
from synthaug.engines.base import TrainingSet


def overlapping(n=40, seed=0):
    X, y = make_blobs(n_samples=[n, n], centers=[[-1.0, 0.0], [1.0, 0.0]], cluster_std=1.0,
                      random_state=seed)
    return X, y


def confidence(judge, X, labels) -> np.ndarray:
    """A logistic regression's probability of each row's own label."""
    return judge.predict_proba(X)[np.arange(len(X)), labels]


@pytest.mark.parametrize("spec", TABULAR_MODELS, ids=lambda s: s.name)
def test_curated_rows_look_more_like_their_class(spec):
    """An independent judge (trained on the real rows, not the curator's
    classifier) is surer of the curated rows' labels than of plain draws."""
    X, y = overlapping()
    est = spec.make(epochs=3).fit(X, y)
    judge = LogisticRegression().fit(X, y)
    plain, y_plain = est.sample(200, random_state=1)
    kept, y_kept = est.sample(200, curate=True, random_state=1)
    assert len(kept) == 200 and np.bincount(y_kept).tolist() == [100, 100]
    assert confidence(judge, kept, y_kept).mean() > confidence(judge, plain, y_plain).mean() + 0.05
    report = est.sample_report_
    assert report["generated"] >= 3 * 200 and report["returned"] == 200
    assert report["dropped_confidence"] > 0 and report["rounds"] >= 1


def test_curation_is_deterministic_and_survives_save_and_load(tmp_path):
    X, y = overlapping()
    spec = TABULAR_MODELS[0]
    a, b = spec.make(curate=True).fit(X, y), spec.make(curate=True).fit(X, y)
    np.testing.assert_array_equal(a.sample(30)[0], b.sample(30)[0])  # the estimator's curate
    loaded = synthaug.load(a.save(tmp_path / "m.synthaug"))
    np.testing.assert_array_equal(loaded.sample(30)[0], a.sample(30)[0])
    assert not np.array_equal(a.sample(30)[0], a.sample(30, curate=False)[0])


def test_fit_resample_curates_when_asked():
    X, y = overlapping()
    keep = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:20]]
    X, y = X[keep], y[keep]  # 40 / 20: class 1 gets the new rows
    spec = TABULAR_MODELS[0]
    Xr, yr = spec.make(curate=True, min_confidence=None).fit_resample(X, y)
    assert np.bincount(yr).tolist() == [40, 40] and np.array_equal(Xr[:60], X)


def test_scores_confidence_and_uncertainty_on_a_separable_toy():
    """Far inside class 0, labelled 0: confident and certain; labelled 1:
    not confident; halfway between the classes: uncertain."""
    X = np.r_[np.full((20, 2), -3.0), np.full((20, 2), 3.0)]
    X += np.random.RandomState(0).normal(0, 0.3, X.shape)
    y = np.repeat([0, 1], 20)
    curator = DataMapCurator()
    curator.fit(TrainingSet(X, y, y, 2, None), None, seed=0)
    rows = torch.tensor([[-3.0, -3.0], [-3.0, -3.0], [0.0, 0.0]])
    conf, unc = curator.scores(rows, [0, 1, 0])
    assert conf[0] > 0.9 and conf[1] < 0.1
    assert unc[2] > unc[0] and unc[2] > 0.05
    keep, dropped = curator.select(rows, np.array([0, 1, 0]), np.array([2, 1]), {},
                                   {"min_confidence": 0.8})
    assert keep.tolist() == [0] and dropped == {"confidence": 2, "surplus": 0}


def test_curation_needs_labels_and_a_curating_model():
    X, y = overlapping()
    spec = TABULAR_MODELS[0]
    with pytest.raises(ValueError, match="needs a model fitted with labels"):
        spec.make().fit(X).sample(5, curate=True)
    with pytest.raises(TypeError, match="curate"):
        spec.make().fit(X, y).sample(5, curate="yes")
    image = synthaug.ImageVAE(epochs=1, width=4, device="cpu").fit(np.zeros((4, 8, 8)))
    with pytest.raises(TypeError, match="curate"):
        image.sample(2, curate=True)  # image models have no curator (yet)


def test_a_shortfall_warns_and_returns_what_passed():
    X, y = overlapping()
    est = TABULAR_MODELS[0].make(epochs=1, min_confidence=0.99, overgenerate=1.0).fit(X, y)
    with pytest.warns(UserWarning, match="curation kept"):
        kept, labels = est.sample(40, curate=True)
    assert len(kept) == len(labels) < 40
