"""What machine and which package versions produced a result."""
from __future__ import annotations

import os
import platform
from importlib import metadata

PACKAGES = ["synthaug", "torch", "numpy", "pandas", "scikit-learn", "imbalanced-learn",
            "ctgan", "matplotlib"]


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
