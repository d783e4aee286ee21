"""synthaug: enlarge small training sets with labelled synthetic samples."""
from .models import TabularGAN, TabularVAE
from .persistence import load
from .selection import AugmentedClassifier

__version__ = "0.1.0"
__all__ = ["AugmentedClassifier", "TabularGAN", "TabularVAE", "load", "__version__"]
