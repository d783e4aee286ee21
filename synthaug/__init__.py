"""synthaug: enlarge small training sets with labelled synthetic samples."""
from .data import AugmentedDataset, SyntheticDataset, augment_batch
from .models import ImageGAN, ImageVAE, TabularGAN, TabularVAE, TextLM
from .persistence import load
from .selection import AugmentedClassifier

__version__ = "0.1.0"
__all__ = [
    "AugmentedClassifier", "AugmentedDataset", "ImageGAN", "ImageVAE", "SyntheticDataset",
    "TabularGAN", "TabularVAE", "TextLM", "augment_batch", "load", "__version__",
]
