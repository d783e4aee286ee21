"""The estimators users import: thin classes, each its parameters plus the
(codec, engine) pair it is made of."""
from .image_gan import ImageGAN
from .image_vae import ImageVAE
from .tabular_gan import TabularGAN
from .tabular_vae import TabularVAE
from .text_lm import TextLM

__all__ = ["ImageGAN", "ImageVAE", "TabularGAN", "TabularVAE", "TextLM"]
