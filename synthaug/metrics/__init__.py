"""Quality metrics for synthetic tables: fidelity, utility and privacy.

Every function takes numpy arrays or pandas DataFrames with numeric,
categorical, string and boolean columns and missing values, checks that the
tables share their columns (DataFrame columns are matched by name, arrays by
position) and never modifies its inputs. Where a geometry is needed, rows are
compared on the :class:`~synthaug.codecs.tabular.TabularCodec` encoding:
numeric columns as normal scores (rank-based quantile transform), categorical
columns one-hot, a missing value as its own flag or category.

===========================  ==========  ========================================
number                       best        meaning
===========================  ==========  ========================================
marginal distance (KS, TVD)  0           per-column distribution gap, in [0, 1]
association difference       0           gap between pairwise correlations
detection AUC                0.5         1 = a classifier tells synthetic rows apart
TSTR / TRTR score            higher      downstream score on real test rows
augmentation gain            above 0     score(real + synthetic) - score(real)
distance to closest record   as holdout  synthetic row to nearest training row
exact copy rate              0           share of synthetic rows copying training
===========================  ==========  ========================================
"""
from __future__ import annotations

from .fidelity import association_difference, detection_auc, fidelity_report, marginal_distances
from .privacy import distance_to_closest_record, exact_copy_rate, privacy_report
from .utility import augmentation_gain, trtr, tstr

__all__ = [
    "marginal_distances", "association_difference", "detection_auc", "fidelity_report",
    "tstr", "trtr", "augmentation_gain",
    "distance_to_closest_record", "exact_copy_rate", "privacy_report",
]
