"""The estimators users import."""
from .tabular_gan import TabularGAN
from .tabular_vae import TabularVAE

__all__ = ["TabularGAN", "TabularVAE"]
