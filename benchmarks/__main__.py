"""``python -m benchmarks <experiment> [--quick] [options]``: the one entry point.

Each experiment's module is imported only when it runs, so ``--help`` is
instant and a missing benchmark extra only affects its own experiment.
"""
from __future__ import annotations

import importlib
import sys

#: experiment -> (module with ``main(argv) -> int``, one line for --help)
EXPERIMENTS = {
    "tabular": ("benchmarks.tabular.main",
                "downstream gain of synthetic rows on six small tables"),
    "tabular-pays": ("benchmarks.tabular.pays",
                     "several tabular runs side by side: does augmentation pay? (no new run)"),
    "semi": ("benchmarks.semi.main",
             "k labelled rows per class plus an unlabelled pool"),
    "images": ("benchmarks.images.main",
               "generative and classic augmentation for a small CNN (digits, Fashion-MNIST)"),
    "text": ("benchmarks.text.main",
             "TextLM and EDA edits for TF-IDF + logistic regression"),
    "throughput": ("benchmarks.throughput.main",
                   "sampling speed, peak memory and fit cost (tabular, images, text)"),
}


def usage() -> str:
    width = max(map(len, EXPERIMENTS))
    lines = ["usage: python -m benchmarks <experiment> [--quick] [options]", "",
             "Benchmarks of synthaug (protocol: shared/BENCHMARK.md; results: "
             "benchmarks/RESULTS.md).", "", "experiments:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in EXPERIMENTS.items()]
    lines += ["", "`python -m benchmarks <experiment> --help` lists its options; every "
              "experiment takes --quick, --seeds, --jobs, --threads, --name, --out, "
              "--results-md, --no-report and --report-only."]
    return "\n".join(lines)


def main(argv=None) -> int:
    """Dispatch to an experiment's ``main``.

    Parameters
    ----------
    argv : list of str, optional
        ``[experiment, *options]`` (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The experiment's exit status; 0 for ``--help``, 2 for an unknown
        experiment.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in EXPERIMENTS:
        print(f"unknown experiment {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(EXPERIMENTS[name][0])
    return module.main(rest)


if __name__ == "__main__":
    raise SystemExit(main())
