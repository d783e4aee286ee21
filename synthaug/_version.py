"""The package version, in one place (the model files record it)."""
__version__ = "0.2.0"
