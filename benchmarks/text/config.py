"""What one run of the text benchmark measures."""
from __future__ import annotations

from dataclasses import dataclass, field

RATIO = 2  # synthetic texts per real text, in every augmenting arm
ARMS = ("none", "eda", "textlm", "textlm_filter")
KS = (5, 10, 25, 50)
DATASETS = ("rotten_tomatoes", "reuters_r8")
# The one setting not at TextLM's default, the context, sized to each corpus
# and to the CPU budget (each run within ~10 minutes on one thread): Rotten
# Tomatoes snippets are ~115 characters (64 tokens hold 3 in 4 whole); of a
# Reuters story (~600 characters) the first 64 tokens, headline and lead
# sentence, are learned.
MODEL = {"rotten_tomatoes": dict(context_length=64), "reuters_r8": dict(context_length=64)}


@dataclass
class Config:
    """What one run measures."""

    datasets: list = field(default_factory=lambda: list(DATASETS))
    ks: list = field(default_factory=lambda: list(KS))
    seeds: int = 5
    first_seed: int = 0  # run seeds first_seed, first_seed + 1, ... (to split a long run)
    max_steps: int | None = None  # TextLM training steps; None: its default
    quick: bool = False

    def seed_list(self) -> list:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def cells(self, dataset: str) -> list:
        """``(dataset, k, seed)`` of one dataset's cells, seeds outermost."""
        return [(dataset, k, s) for s in self.seed_list() for k in self.ks]

    def model_params(self, dataset: str) -> dict:
        """TextLM's parameters that differ from its defaults."""
        return {**MODEL[dataset], **({} if self.max_steps is None else
                                     {"max_steps": self.max_steps})}


#: ``--quick``: both datasets, 2 seeds, k in {5, 25}, 150 training steps: a few minutes
QUICK = dict(ks=[5, 25], seeds=2, max_steps=150, quick=True)
