"""Cells in parallel processes, each with few torch threads.

Every experiment is a loop over independent cells (a dataset x k x seed
split, or a throughput part). :func:`run_cells` runs them in the calling
process (``jobs=1``) or in a pool of spawned processes; a cell's result
depends only on its arguments, never on ``jobs``: only timing columns move.
"""
from __future__ import annotations

import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Callable, Iterable, Iterator


def init_worker(threads: int) -> None:
    """Settings of a process that runs cells."""
    import torch

    # Tiny networks: more threads add contention, not speed, on shared cores
    # (a TabularVAE fit took 44 s with 2 threads and 8 s with 1).
    torch.set_num_threads(threads)
    # Convergence/deprecation chatter from sklearn and the peers would bury
    # the progress lines; failures are caught per arm and written to the CSV.
    warnings.filterwarnings("ignore")


def run_cells(run_cell: Callable, cells: Iterable[tuple], *, jobs: int = 1,
              threads: int = 1) -> Iterator[tuple[tuple, object]]:
    """Yield ``(cell, run_cell(*cell))`` for every cell, as each one finishes.

    Parameters
    ----------
    run_cell : callable
        A module-level function (or ``functools.partial`` of one), so that
        spawned workers can import it.
    cells : iterable of tuple
        Positional arguments of each call.
    jobs : int
        Processes; ``1`` runs every cell here, in order.
    threads : int
        torch threads of every process that runs cells.
    """
    cells = list(cells)
    if jobs <= 1:
        with warnings.catch_warnings():  # leave the caller's filters as they were
            init_worker(threads)
            for cell in cells:
                yield cell, run_cell(*cell)
        return
    ctx = get_context("spawn")  # no forked torch/BLAS thread state
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=init_worker,
                             initargs=(threads,)) as pool:
        futures = {pool.submit(run_cell, *cell): cell for cell in cells}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()


class Progress:
    """``[i/n] label  elapsed 12s, ~30s left`` lines for a loop over cells."""

    def __init__(self, total: int):
        self.total, self.done, self.t0 = total, 0, time.perf_counter()

    def step(self, label: str) -> str:
        """Count one finished cell and describe where the run stands."""
        self.done += 1
        elapsed = time.perf_counter() - self.t0
        left = elapsed / self.done * (self.total - self.done)
        return f"[{self.done}/{self.total}] {label}  elapsed {elapsed:.0f}s, ~{left:.0f}s left"

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0
