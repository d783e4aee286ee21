"""The tabular half of a model: codec fitting, decoding and concatenation."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..codecs.tabular import TabularCodec, codec_from_state, codec_state


class TabularMixin:
    """Hooks of BaseAugmenter for tables (numpy arrays or DataFrames)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # NaN is learned as a missing value and string columns as categories,
        # so scikit-learn's checks must not demand that fit rejects them.
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _encode_fit(self, X) -> np.ndarray:
        codec = TabularCodec().fit(X)
        self.codec_ = codec
        self.n_features_in_ = len(codec.columns_)
        names = codec.feature_names
        if codec.container_ == "dataframe" and all(isinstance(c, str) for c in names):
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return codec.transform(X)

    def _decode(self, M: np.ndarray):
        return self.codec_.inverse_transform(M)

    def _concat(self, parts, real_first: bool = False):
        if self.codec_.container_ == "dataframe":
            return pd.concat(parts, ignore_index=True)
        dtype = np.dtype(self.codec_.array_dtype_)
        return np.concatenate([np.asarray(p, dtype=dtype) for p in parts])

    def _codec_state(self):
        config, arrays = codec_state(self.codec_)
        if hasattr(self, "feature_names_in_"):
            config["feature_names_in"] = self.feature_names_in_.tolist()
        return config, arrays

    def _set_codec_state(self, config, arrays) -> None:
        self.codec_ = codec_from_state(config, arrays)
        self.n_features_in_ = len(self.codec_.columns_)
        if "feature_names_in" in config:
            self.feature_names_in_ = np.asarray(config["feature_names_in"], dtype=object)
