"""What produced a result: machine, package versions, date and command.

Every experiment stores these in the JSON sidecar next to its CSV, and its
page quotes them, so a number can always be traced to a run.
"""
from __future__ import annotations

import json
import os
import platform
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

PACKAGES = ["synthaug", "torch", "numpy", "pandas", "scikit-learn", "imbalanced-learn",
            "ctgan", "ForestDiffusion", "xgboost", "sdv", "matplotlib"]


def _cpu_model() -> str:
    # platform.processor() is empty on most Linux builds; /proc/cpuinfo is not
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use
    except AttributeError:
        return os.cpu_count() or 1


def _gpu() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except Exception:  # a broken CUDA install must not stop the record
        pass
    return "none"


def describe_machine() -> dict:
    """CPU model, usable cores, GPU and package versions, as plain strings."""
    versions = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return {"cpu": _cpu_model(), "cores": _cores(), "gpu": _gpu(), "versions": versions}


def machine_line(machine: dict, packages=("torch",), threads: int | None = None) -> str:
    """One line for a page: ``"2-core CPU, GPU: none, torch 2.x[, N torch thread(s)]"``."""
    parts = [f"{machine['cores']}-core {machine['cpu']}", f"GPU: {machine['gpu']}"]
    parts += [f"{pkg} {machine['versions'].get(pkg, '?')}" for pkg in packages]
    if threads is not None:
        parts.append(f"{threads} torch thread(s)")
    return ", ".join(parts)


def timestamp() -> str:
    """Now, in UTC to the minute: the date every new sidecar records."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def command_line(experiment: str, argv) -> str:
    """The command as a user types it from the repository root."""
    return " ".join(["python -m benchmarks", experiment, *argv])


def _plain(value):
    """JSON for what ``json`` cannot hold: numpy scalars as numbers, the rest as text."""
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def write_json(path: Path, meta: dict, indent: int = 1) -> None:
    """Write a sidecar (numpy scalars as numbers, paths and the like as text)."""
    Path(path).write_text(json.dumps(meta, indent=indent, default=_plain, ensure_ascii=False))


def read_json(path: Path, default=None) -> dict:
    """A sidecar's content, or ``default`` (``{}``) when it does not exist."""
    path = Path(path)
    if not path.exists():
        return {} if default is None else default
    return json.loads(path.read_text())


def record_run(meta: dict, sidecar: Path, run: Callable[[], object],
               digits: int | None = None) -> dict:
    """Call ``run()``, add its wall time to ``meta`` (seconds, rounded to
    ``digits``) and write ``meta`` to the sidecar, before too, so that a run
    stopped halfway can still be reported."""
    write_json(sidecar, meta)
    t0 = time.perf_counter()
    run()
    meta["wall_s"] = round(time.perf_counter() - t0, digits)
    write_json(sidecar, meta)
    print(f"done in {meta['wall_s']:.0f}s (sidecar: {sidecar})", flush=True)
    return meta
