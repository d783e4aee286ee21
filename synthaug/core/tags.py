"""imbalanced-learn's sampler tags, without importing imbalanced-learn.

imbalanced-learn (a test and benchmark extra, never a runtime dependency)
reads ``estimator_type == "sampler"``, ``sampler_tags.sample_indices`` and
``input_tags.dataframe`` from an estimator's tags. scikit-learn's ``Tags``
has no such fields, so these dataclasses extend scikit-learn's with them,
the layout imbalanced-learn's own samplers use.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from sklearn.utils import InputTags as SklearnInputTags
from sklearn.utils import Tags as SklearnTags


@dataclass(slots=True)
class InputTags(SklearnInputTags):
    dataframe: bool = False


@dataclass(slots=True)
class SamplerTags:
    """``sample_indices``: whether ``fit_resample`` sets ``sample_indices_``."""

    sample_indices: bool = False


@dataclass(slots=True)
class Tags(SklearnTags):
    input_tags: InputTags = field(default_factory=InputTags)
    sampler_tags: SamplerTags | None = None


def sampler_tags(tags: SklearnTags) -> Tags:
    """scikit-learn's ``tags`` as a sampler's: same values, plus the sampler fields."""
    inputs = InputTags(**{f.name: getattr(tags.input_tags, f.name)
                          for f in fields(SklearnInputTags)})
    kept = {f.name: getattr(tags, f.name) for f in fields(SklearnTags)
            if f.name not in ("input_tags", "estimator_type")}
    return Tags(estimator_type="sampler", input_tags=inputs, sampler_tags=SamplerTags(), **kept)
