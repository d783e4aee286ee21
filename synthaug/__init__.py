"""synthaug: enlarge small training sets with labelled synthetic samples."""
from ._version import __version__
from .core.modelfile import load
from .data import AugmentedDataset, SyntheticDataset, augment_batch
from .models import ImageGAN, ImageVAE, TabularGAN, TabularVAE, TextLM
from .selection import AugmentedClassifier

__all__ = [
    "AugmentedClassifier", "AugmentedDataset", "ImageGAN", "ImageVAE", "SyntheticDataset",
    "TabularGAN", "TabularVAE", "TextLM", "augment_batch", "load", "__version__",
]
