"""Benchmarks of synthaug (protocol: ``shared/BENCHMARK.md``).

Run ``python -m benchmarks --help`` from the repository root. The package
is a benchmark harness, not part of the library: it may import the benchmark
extras (``pip install -e ".[bench]"``), and synthaug never imports it.

Layout
------
common
    The shared harness: command line, process pool, draws, paired CIs,
    page splicing, machine stamp, result files.
tabular, semi, images, text, throughput
    One experiment each: ``config.py`` (``Config`` and ``QUICK``), a cell
    runner (``run_cell``), ``render.py`` (its page) and ``main.py`` (its
    command line).
results
    One page per experiment (``<experiment>.md``) and the committed result
    files; ``RESULTS.md`` is the index.
"""
from __future__ import annotations
