"""Optional packages, imported only where a feature needs them."""
from __future__ import annotations


def transformers():
    """The ``transformers`` package, or an ImportError that says what to do."""
    try:
        import transformers as module
    except ImportError:
        raise ImportError(
            "TextLM(pretrained=...) needs the optional 'transformers' package "
            "(pip install transformers); or leave pretrained=None to train a small "
            "model from scratch."
        ) from None
    return module
