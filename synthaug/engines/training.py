"""Pieces every training loop shares: seeded weights, the epoch loop with its
progress bar and history, the finite-loss check, the weight average."""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from tqdm.auto import tqdm


def seeded_init(seed: int, factory):
    """Build modules with weights drawn from ``seed``, leaving torch's global
    RNG exactly as it was (so fitting never disturbs the caller's randomness)."""
    with torch.random.fork_rng(devices=[]):
        # Only the CPU generator: torch.manual_seed would also reseed every
        # CUDA device's global generator, which fork_rng(devices=[]) leaves
        # unrestored. Modules are built on the CPU, so this is all they use.
        torch.default_generator.manual_seed(seed)
        return factory()


def run_epochs(epochs: int, one_epoch: Callable[[int], Sequence[float]], keys: Sequence[str],
               *, desc: str, verbose: bool, hint: str = "") -> dict:
    """Call ``one_epoch(e)`` for each epoch; it returns one mean per key of
    the history (read back once per epoch: one host sync, not one per step).

    Returns the history ``{key: [value per epoch]}``. A non-finite value
    stops training with a ``FloatingPointError`` (see :func:`check_finite`).
    """
    history = {key: [] for key in keys}
    bar = tqdm(range(epochs), disable=not verbose, desc=desc, unit="epoch")
    for epoch in bar:
        values = list(one_epoch(epoch))
        check_finite(values, desc, epoch, hint)
        for key, value in zip(keys, values):
            history[key].append(value)
        bar.set_postfix({key: f"{value:.3f}" for key, value in list(zip(keys, values))[:2]})
    return history


def check_finite(values, desc: str, epoch: int, hint: str = "") -> None:
    """Refuse a non-finite loss (or weight): the fit fails, and the estimator
    core leaves the estimator unfitted rather than holding a broken net."""
    if all(math.isfinite(v) for v in values):
        return
    raise FloatingPointError(
        f"{desc} training diverged at epoch {epoch + 1} (non-finite loss or weights); "
        f"lower learning_rate{hint} or check X for extreme values. The estimator was "
        "left unfitted."
    )


class WeightAverage:
    """An exponential moving average of a module's weights (what a GAN
    samples from: steadier than the last step's weights).

    The decay warms up as ``min(decay, (1 + t) / (10 + t))`` after ``t``
    earlier updates, so a short fit is not stuck near the initial weights.
    Buffers (batch-norm statistics) are copied, not averaged.
    """

    def __init__(self, model: torch.nn.Module, average: torch.nn.Module, decay: float):
        self.decay, self.steps = float(decay), 0
        self.params, self.avg_params = list(model.parameters()), list(average.parameters())
        self.buffers, self.avg_buffers = list(model.buffers()), list(average.buffers())

    @torch.no_grad()
    def update(self) -> None:
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        self.steps += 1
        torch._foreach_lerp_(self.avg_params, self.params, 1.0 - decay)
        for avg, buf in zip(self.avg_buffers, self.buffers):
            avg.copy_(buf)

    def finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.avg_params)
