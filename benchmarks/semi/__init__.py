"""Unlabelled data: ``python -m benchmarks semi`` (issues 4 and 13).

For every (dataset, k, seed) cell: k labelled rows per class, a pool of
``--unlabelled`` rows whose labels are hidden, every other row the test set
(:func:`split`). Arms, all on the same split:

* ``none``: the downstream model on the labelled rows;
* ``self-training``: scikit-learn's ``SelfTrainingClassifier`` around the
  same downstream model, on labelled rows + the pool (the peer a user would
  pick instead); its preprocessing is fitted on labelled + pool rows;
* ``label-spreading``: scikit-learn's ``LabelSpreading(kernel="knn")`` on
  the same rows, its own classifier (the other peer);
* ``vae-labelled``: TabularVAE on the labelled rows only, 1:1 synthetic rows;
* ``vae-semi-unknown``: TabularVAE on labelled rows + the pool (marked -1 /
  None) with ``pseudo_labels=None`` (pool rows "label unknown"), 1:1;
* ``vae-semi-hard``: the same with ``pseudo_labels=THRESHOLD`` (hard labels);
* ``vae-semi``: the same at the default ``pseudo_labels="soft"``, 1:1;
* ``vae-semi-x``: as ``vae-semi``, as many synthetic rows as the pool;
* ``vae-semi-spread`` / ``vae-semi-spread-x``: as the two above with
  ``pseudo_labels="spread"`` (label spreading over a kNN graph of all rows);
* ``vae-semi-m2`` / ``vae-semi-m2-x``: as above with ``pseudo_labels="m2"``
  (the semi-supervised VAE of Kingma et al. 2014: a classifier trained
  jointly with the VAE weighs every label of a pool row);
* ``augclf-semi``: ``AugmentedClassifier(ratio="auto")`` with the pool and
  the ``vae-semi`` generator (downstream model fitted on labelled rows).

Modules: ``config`` (``Config``, ``QUICK``, the arms), ``cell``
(``split``, ``run_cell``), ``render`` (the page block), ``main`` (the
command line).
"""
from .cell import split

__all__ = ["split"]
