"""What one run of the image benchmark measures."""
from __future__ import annotations

from dataclasses import dataclass, field

ARMS = ["none", "classic", "image-vae", "image-gan", "classic+vae", "classic+gan"]
RATIO = 2.0  # synthetic images per real image in the generative arms
DATASETS = ["digits", "fashion"]


@dataclass
class Config:
    """Everything that defines a run (stored in the JSON sidecar)."""

    datasets: list = field(default_factory=lambda: list(DATASETS))
    ks: dict = field(default_factory=lambda: {"digits": [5, 10, 25, 50], "fashion": [10]})
    seeds: int = 5
    # gradient steps per dataset: the generators' fixed training budget and
    # the CNN's (the same in every arm), sized so a run fits ~10 min on 2 cores
    budgets: dict = field(default_factory=lambda: {
        "digits": {"vae": 400, "gan": 600, "cnn": 800},
        "fashion": {"vae": 300, "gan": 400, "cnn": 300},
    })
    width: int = 16
    fashion_test: int = 2000
    quick: bool = False

    def cells(self, datasets=None) -> list:
        """``(dataset, k, seed)`` of every cell, in run order."""
        return [(d, k, s) for d in (datasets or self.datasets) for k in self.ks[d]
                for s in range(self.seeds)]


#: ``--quick``: digits, k=5 and 25, 2 seeds, small budgets (a few minutes on 2 cores)
QUICK = dict(datasets=["digits"], ks={"digits": [5, 25], "fashion": [10]}, seeds=2, quick=True,
             budgets={"digits": {"vae": 200, "gan": 300, "cnn": 300},
                      "fashion": {"vae": 300, "gan": 400, "cnn": 300}})
