"""Tabular downstream gain: ``python -m benchmarks tabular`` (protocol:
``shared/BENCHMARK.md``).

Modules
-------
config
    ``Config`` (what a run measures) and its ``QUICK`` overrides.
datasets
    Offline loaders of the tables.
arms
    The registry of augmentation arms (``none``, ``smote``, ``tabular-vae``...).
evaluate
    Downstream models, preprocessing, TSTR and DCR.
cell
    ``run_cell``: every arm x model row of one (dataset, k, seed) split.
main
    The command line and the loop over cells.
render, plots
    The run block of ``results/tabular.md`` and its gain-vs-k PNGs.
pays
    ``python -m benchmarks tabular-pays``: several runs side by side, and
    issue 4's targets checked on them.
"""
