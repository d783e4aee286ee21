"""Downstream-gain benchmark for synthaug (protocol: ``shared/BENCHMARK.md``).

Run ``python -m benchmarks.run --help`` from the repository root. The
package is a benchmark harness, not part of the library: it may import the
benchmark extras (``pip install -e ".[bench]"``), and synthaug never imports it.

Modules
-------
datasets
    Offline dataset loaders and the low-data train/test draws.
arms
    The registry of augmentation arms (``none``, ``smote``, ``tabular-vae``...).
evaluate
    Downstream models, preprocessing, and the per-row metrics (TSTR, DCR).
run
    The command line and the loop over (dataset, k, seed) cells.
report
    CSV -> ``RESULTS.md`` tables and gain-vs-k plots.
"""
