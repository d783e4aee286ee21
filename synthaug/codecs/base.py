"""The protocol every codec follows, and its defaults.

A codec turns the user's data into what an engine trains on, and what an
engine samples back into the user's container:

* before any fit (class level): ``prepare(X, y)`` (unpack what the modality
  accepts besides arrays), ``check_input(X) -> n_samples``,
  ``edit_tags(tags)``, ``file_formats``, ``has_columns``;
* ``fit_transform(X)``: learn the encoding, return the training data;
* ``layout``: what the nets need to know of the encoding;
* ``decode(T, report)``: encoded samples (a tensor on the device they were
  generated on) to a *part*, decoded as far as is worth doing per chunk;
  ``collector(n)`` gathers parts into the caller's container (by default
  ``join(parts)``);
* ``condition_position(conditions)``: ``sample(conditions=...)`` support;
* ``fitted_attributes()``: what the estimator exposes of the codec
  (``n_features_in_``, ``image_shape_``...);
* ``state() -> (config, arrays)`` / ``restore(config, arrays)``.
"""
from __future__ import annotations


class Codec:
    """Defaults for a codec without columns or conditions."""

    file_formats: tuple = ()
    has_columns = False

    @staticmethod
    def prepare(X, y):
        return X, y

    @staticmethod
    def edit_tags(tags) -> None:
        pass

    def fitted_attributes(self) -> dict:
        return {}

    def condition_position(self, conditions):
        if conditions:
            raise TypeError(
                "sample(conditions=...) fixes a column of a table; this model's samples "
                "have no columns. Drop conditions."
            )
        return None

    def collector(self, n_rows: int) -> "PartCollector":
        return PartCollector(self.join)

    def join(self, parts: list):
        """The caller's container from the decoded parts of one run, in order."""
        raise NotImplementedError


class PartCollector:
    """Decoded parts in, the user's container out: ``add(part)`` for each
    chunk in order, then ``result()``. This default keeps the parts and
    joins them at the end; a codec can collect more cheaply (the tabular
    codec copies each chunk's columns into arrays sized for every row)."""

    def __init__(self, join):
        self._join, self._parts = join, []

    def add(self, part) -> "PartCollector":
        self._parts.append(part)
        return self

    def result(self):
        return self._join(self._parts)
