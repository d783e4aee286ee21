"""scikit-learn's and imbalanced-learn's own check suites on every generator.

scikit-learn's checks (cloning, parameters, pickling, fit idempotence,
parameter validation, input validation...) follow the input tags: the
tabular models get all 40, the image and text models (no 2-d input) the
few that need no table; the data-free API checks are run on them
explicitly below, and tests/test_contract.py checks every model's parameter
validation on its own kind of data. imbalanced-learn's sampler checks
(``fit_resample`` containers, dtypes, sampling_strategy, one-vs-all targets,
pandas input, feature names) feed 2-d tables to every sampler. A check that
does not apply is marked below with its reason; every other check must pass,
and a marked check that starts passing fails the suite (strict xfail), so
the list stays true.
"""
from __future__ import annotations

import numpy as np
import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils import get_tags
from sklearn.utils import estimator_checks as sk
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from synthaug import ImageGAN, ImageVAE, TabularGAN, TabularVAE, TextLM

GENERATORS = [
    TabularVAE(epochs=2, hidden_dims=(8,), latent_dim=2, device="cpu", random_state=0),
    TabularGAN(epochs=2, hidden_dims=(8,), discriminator_dims=(8,), latent_dim=2, device="cpu",
               random_state=0),
    ImageVAE(epochs=1, width=4, latent_dim=2, device="cpu", random_state=0),
    ImageGAN(epochs=1, width=4, latent_dim=2, device="cpu", random_state=0),
    TextLM(width=16, n_layers=1, n_heads=2, context_length=16, max_steps=2, device="cpu",
           random_state=0),
]

# imbalanced-learn's sampler checks feed every sampler a 2-d numeric table,
# whatever its input tags say; scikit-learn's checks follow the tags.
_NOT_A_TABLE = {
    "ImageVAE": "images are (N, C, H, W) or (N, H, W) arrays with sides of 8 to 64 "
                "pixels; the check passes a 2-d table, which is refused with a ValueError",
    "TextLM": "texts are a 1-d sequence of str; the check passes a 2-d numeric table, "
              "which is refused with a ValueError",
}
_NOT_A_TABLE["ImageGAN"] = _NOT_A_TABLE["ImageVAE"]
_TABLE_CHECKS = [
    "check_samplers_one_label", "check_samplers_fit", "check_samplers_fit_resample",
    "check_samplers_list", "check_samplers_multiclass_ova", "check_samplers_preserve_dtype",
    "check_samplers_sample_indices", "check_samplers_2d_target",
]


def expected_failed_checks(estimator) -> dict:
    reason = _NOT_A_TABLE.get(type(estimator).__name__)
    if reason is None:
        return {}  # the tabular models pass every check
    failed = dict.fromkeys(_TABLE_CHECKS, reason)
    if isinstance(estimator, TextLM):
        failed["check_samplers_string"] = (
            "the check passes a (30, 1) object array of the letters A/B/C as a table "
            "and expects those letters back; TextLM takes texts, not a table of categories")
    return failed


@sklearn_checks(GENERATORS, expected_failed_checks=lambda est: {}, xfail_strict=True)
def test_sklearn_checks(estimator, check):
    check(estimator)


@imblearn_checks(GENERATORS, expected_failed_checks=expected_failed_checks)
def test_imblearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("check", [
    sk.check_no_attributes_set_in_init, sk.check_parameters_default_constructible,
    sk.check_get_params_invariance, sk.check_set_params, sk.check_estimator_cloneable,
    sk.check_estimator_repr,
], ids=lambda c: c.__name__)
@pytest.mark.parametrize("est", GENERATORS, ids=lambda e: type(e).__name__)
def test_data_free_api_checks_on_every_model(est, check):
    check(type(est).__name__, est)


@pytest.mark.parametrize("est", GENERATORS, ids=lambda e: type(e).__name__)
def test_tags_describe_the_input_and_the_sampler(est):
    """What each model accepts is in its tags, and every model is an
    imbalanced-learn sampler (so imblearn's Pipeline treats it as one)."""
    tags = get_tags(est)
    assert tags.estimator_type == "sampler" and tags.sampler_tags.sample_indices is False
    assert tags.requires_fit and not tags.target_tags.required and not tags.input_tags.sparse
    name = type(est).__name__
    if name.startswith("Tabular"):
        assert tags.input_tags.allow_nan and tags.input_tags.string
        assert tags.input_tags.two_d_array and tags.input_tags.dataframe
    elif name.startswith("Image"):
        assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array
    else:
        assert tags.input_tags.one_d_array and tags.input_tags.string
        assert not tags.input_tags.two_d_array


def test_the_expected_failures_are_only_the_table_checks():
    """Every reason above names a check that exists and a model that has no
    table input: no failure is excused for a tabular model."""
    from imblearn.utils import estimator_checks

    for est in GENERATORS:
        failed = expected_failed_checks(est)
        assert all(hasattr(estimator_checks, name) for name in failed)
        assert not failed or not get_tags(est).input_tags.two_d_array
        assert all(len(reason) > 40 for reason in failed.values())
    assert np.all([not expected_failed_checks(e) for e in GENERATORS[:2]])
