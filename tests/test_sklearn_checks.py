"""scikit-learn's own estimator checks on every tabular model.

A generator has no predict/transform, so scikit-learn runs its generic API
checks (cloning, params, pickling, fit idempotence, n_features_in_, input
validation...). A check that does not apply would be marked below with its
reason; today every check passes.
"""
from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import TABULAR_MODELS

# check name -> why it does not apply; empty while every check passes. Shared by
# every tabular model (the messages come from the shared helpers and codec).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(
    [spec.make(epochs=2, hidden_dims=(8,), latent_dim=2) for spec in TABULAR_MODELS],
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=True,  # a check that starts passing must be unmarked
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("spec", TABULAR_MODELS, ids=lambda s: s.name)
def test_tags_describe_tabular_input(spec):
    """NaN (learned as missing) and strings (categories) are accepted, so the
    tags must say so; sparse input is not."""
    from sklearn.utils import get_tags

    tags = get_tags(spec.make())
    assert tags.input_tags.allow_nan and tags.input_tags.string
    assert not tags.input_tags.sparse
    assert tags.requires_fit and not tags.target_tags.required
