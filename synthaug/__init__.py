"""synthaug: enlarge small training sets with labelled synthetic samples."""
from .models import TabularVAE
from .persistence import load

__version__ = "0.1.0"
__all__ = ["TabularVAE", "load", "__version__"]
