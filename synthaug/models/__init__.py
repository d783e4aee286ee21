"""The estimators users import."""
from .tabular_vae import TabularVAE

__all__ = ["TabularVAE"]
