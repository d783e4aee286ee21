"""What one throughput run measures: the tabular, image and text parts."""
from __future__ import annotations

from dataclasses import dataclass, field

PARTS = ("tabular", "images", "text")
MODELS = ("TabularVAE", "TabularGAN")  # the tabular sampling models, in table order


@dataclass
class Config:
    """Sizes of every part (the tabular ones are stored in its sidecar)."""

    parts: list = field(default_factory=lambda: list(PARTS))
    threads: int | None = None  # None: torch's default for tabular, 1 for images and text
    quick: bool = False
    # tabular: penguins (mixed types) unless told otherwise
    dataset: str = "penguins"
    ns: tuple = (1_000, 10_000, 100_000, 1_000_000)
    chunks: tuple = (4096, 16384, 65536)
    memory_n: int = 1_000_000
    stream_big: int | None = 10_000_000  # streamed only if the 1M stream predicts it fits
    stream_budget_s: float = 120.0
    sample_epochs: int = 5
    fit_epochs: int | None = None  # None: each generator's default
    fit_k: int = 10
    seeds: int = 5  # draws of the fit comparison
    load_note: str = ""  # a sentence on machine load for the page
    # images: single-channel models of the default width
    sides: tuple = (8, 28)
    sizes: tuple = (256, 1024, 4096)
    loader_n: int = 4096
    # text: TextLM generation
    batches: list = field(default_factory=lambda: [1, 16, 64, 256, 1024])
    length: int = 64

    def threads_for(self, part: str) -> int | None:
        """torch threads of a part (None: torch's default)."""
        return self.threads if self.threads is not None or part == "tabular" else 1


#: ``--quick``: tiny sizes, a smoke run of every part in about a minute
QUICK = dict(quick=True, ns=(1_000, 10_000), chunks=(1024, 4096), memory_n=20_000,
             stream_big=None, stream_budget_s=0.0, sample_epochs=1, fit_epochs=2, fit_k=5,
             seeds=1, sides=(8,), sizes=(256,), loader_n=512, batches=[1, 16], length=16)
