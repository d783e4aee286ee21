"""What one run of the unlabelled-data benchmark measures."""
from __future__ import annotations

from dataclasses import dataclass, field

ARMS = ["none", "self-training", "label-spreading", "vae-labelled", "vae-semi-unknown",
        "vae-semi-hard", "vae-semi", "vae-semi-x", "vae-semi-spread", "vae-semi-spread-x",
        "vae-semi-m2", "vae-semi-m2-x", "augclf-semi"]
#: what a user would use instead of generated rows (issue 13: the better of them is the bar)
BASELINES = ["self-training", "label-spreading"]
#: generator arms -> TabularVAE's ``pseudo_labels`` ("threshold": ``Config.threshold``)
GENERATORS = {"vae-labelled": None, "vae-semi-unknown": None, "vae-semi-hard": "threshold",
              "vae-semi": "soft", "vae-semi-x": "soft", "vae-semi-spread": "spread",
              "vae-semi-spread-x": "spread", "vae-semi-m2": "m2", "vae-semi-m2-x": "m2"}
#: the "-x" arms reuse the generator of their 1:1 arm; only the row count differs
SHARED_GENERATOR = {"vae-semi-x": "vae-semi", "vae-semi-spread-x": "vae-semi-spread",
                    "vae-semi-m2-x": "vae-semi-m2"}
MODELS = ["logreg", "rf"]


@dataclass
class Config:
    """What one run measures (stored in the JSON sidecar as ``config``)."""

    unlabelled: int = 500  # rows in the unlabelled pool
    datasets: list = field(default_factory=lambda: ["digits", "credit_data", "wa_churn"])
    ks: list = field(default_factory=lambda: [5, 10])
    seeds: int = 5
    arms: list = field(default_factory=lambda: list(ARMS))
    models: list = field(default_factory=lambda: list(MODELS))
    epochs: int = 100  # TabularVAE epochs
    threshold: float = 0.75  # pseudo_labels of the vae-semi-hard arm

    def cells(self) -> list:
        return [(d, k, s) for d in self.datasets for k in self.ks for s in range(self.seeds)]


#: ``--quick``: every arm on one cell of two seeds, in a minute or two on 2 cores
QUICK = dict(datasets=["digits"], ks=[5], seeds=2, epochs=20)
