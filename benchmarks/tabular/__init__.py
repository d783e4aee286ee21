"""Tabular downstream gain: ``python -m benchmarks tabular`` (protocol:
``shared/BENCHMARK.md``).

Modules
-------
config
    ``Config`` (what a run measures) and its ``QUICK`` overrides.
datasets
    Offline loaders of the tables.
base
    What an arm is and gets (``Arm``, ``Cell``, ``Synthetic``).
arms
    The registry of augmentation arms (``none``, ``real-2x``, ``smote``,
    ``tabular-vae``...).
peers
    Other packages' generators: ctgan's CTGAN and TVAE, ForestDiffusion's
    Forest-Flow, SDV's GaussianCopula.
evaluate, mlp
    Downstream models (logistic regression, random forest, HGB at its
    defaults and at a small-data leaf size, a PyTorch MLP), preprocessing,
    TSTR and DCR.
cell
    ``run_cell``: every arm x model row of one (dataset, k, seed) split.
main
    The command line and the loop over cells.
share
    Per-cell gains and their share of the ceiling (``real-2x``).
render, plots
    The run block of ``results/tabular.md`` and its gain-vs-k PNGs.
pays
    ``python -m benchmarks tabular-pays``: several runs side by side, and
    issue 4's targets checked on them.
"""
