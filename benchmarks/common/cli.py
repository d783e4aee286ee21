"""The command line every experiment shares.

``python -m benchmarks <experiment> [options]``: each experiment builds its
parser with :func:`experiment_parser` (the options below), adds its own, and
turns the parsed arguments into its ``Config`` with :func:`build_config`.

Shared options: ``--quick`` (the experiment's ``QUICK`` overrides: a few
minutes), ``--seeds``, ``--jobs``, ``--threads``, ``--name``, ``--out``,
``--results-md``, ``--no-report`` and ``--report-only``.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path
from typing import Callable

from .pages import RESULTS


def experiment_parser(experiment: str, description: str, quick_help: str,
                      threads_default: int | None = 1,
                      threads_help: str | None = None) -> argparse.ArgumentParser:
    """A parser with the options every experiment takes.

    Parameters
    ----------
    experiment : str
        Its name on the command line (``python -m benchmarks <experiment>``).
    description : str
        One line for ``--help``.
    quick_help : str
        What ``--quick`` runs, in a few words.
    threads_default : int or None
        Default of ``--threads`` (None: the experiment decides).
    threads_help : str, optional
        What that default means, for ``--help``.
    """
    p = argparse.ArgumentParser(prog=f"python -m benchmarks {experiment}",
                                description=description)
    g = p.add_argument_group("common options (every experiment)")
    g.add_argument("--quick", action="store_true", help=quick_help)
    g.add_argument("--seeds", type=int, help="seeds (draws) per cell")
    g.add_argument("--jobs", type=int, default=1, help="cells run in parallel processes")
    g.add_argument("--threads", type=int, default=threads_default,
                   help="torch threads per process "
                   f"(default {threads_help or threads_default})")
    g.add_argument("--name", help="run name: the CSV/JSON file names under --out")
    g.add_argument("--out", type=Path, default=RESULTS, help="folder for CSV/JSON/PNG")
    g.add_argument("--results-md", type=Path,
                   help=f"page to regenerate (default <out>/{experiment}.md; "
                   "for --quick, <out>/<name>.md)")
    g.add_argument("--no-report", action="store_true", help="write the results only")
    g.add_argument("--report-only", action="store_true",
                   help="regenerate the page from the results in --out, measuring nothing")
    return p


def build_config(cls, quick: dict, args: argparse.Namespace, skip=()):
    """``cls`` at its defaults (or its ``quick`` overrides), then every field
    that the command line sets (not None), except those in ``skip``."""
    cfg = cls(**(quick if args.quick else {}))
    for f in fields(cls):
        value = getattr(args, f.name, None)
        if f.name not in skip and value is not None:
            setattr(cfg, f.name, value)
    return cfg


def parse_assignments(items, allowed, option: str) -> dict:
    """``["a=1", "b=2"]`` -> ``{"a": 1, "b": 2}``, names checked against ``allowed``."""
    out = {}
    for item in items or []:
        name, _, n = item.partition("=")
        if name not in allowed or not n.isdigit():
            raise SystemExit(f"{option} takes NAME=N with NAME in {sorted(allowed)}; "
                             f"got {item!r}.")
        out[name] = int(n)
    return out


def page_path(args: argparse.Namespace, experiment: str, name: str) -> Path:
    """The page a run regenerates: ``--results-md``; else ``<out>/<name>.md``
    for a quick run (git-ignored), else ``<out>/<experiment>.md`` (with the
    default ``--out``, the experiment's committed page)."""
    if args.results_md is not None:
        return Path(args.results_md)
    return Path(args.out) / (f"{name}.md" if args.quick else f"{experiment}.md")


MAIN_DOC = """{summary}

The entry point of ``python -m benchmarks {experiment}``.

Parameters
----------
argv : list of str, optional
    The options after ``{experiment}`` (default ``sys.argv[1:]``); see
    ``python -m benchmarks {experiment} --help``.

Returns
-------
int
    Exit status, 0 on success.
"""


def entry_point(experiment: str, parse_args: Callable, execute: Callable) -> Callable:
    """An experiment's ``main(argv) -> int``: parse the options, then
    ``execute(args, argv)``; its docstring is ``execute``'s first line."""

    def main(argv=None) -> int:
        argv = sys.argv[1:] if argv is None else list(argv)
        return execute(parse_args(argv), argv)

    summary = (execute.__doc__ or "").strip().split("\n")[0]
    main.__doc__ = MAIN_DOC.format(experiment=experiment, summary=summary)
    main.__module__ = execute.__module__
    return main
