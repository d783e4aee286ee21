"""Throughput and scale: ``python -m benchmarks throughput`` (issue 5).

Modules: ``config`` (``Config``, ``QUICK``), ``cell`` (``run_cell``: one
part measured and written), ``tabular`` / ``memory`` / ``fitcost`` (the
tabular part), ``images``, ``text`` (the other parts), ``render`` (page
blocks), ``internals`` (every private synthaug hook the measurements use),
``main`` (the command line).
"""
