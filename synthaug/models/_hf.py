"""TextLM's optional pretrained path: a local Hugging Face causal LM.

``transformers`` is imported only here, only when ``TextLM(pretrained=...)``
is used; it is never a dependency of synthaug. Nothing is downloaded: the
model and tokenizer load from the given directory (``local_files_only``).

A saved model keeps the fine-tuned weights (arrays) but not the architecture
or tokenizer: loading rebuilds both from the same ``pretrained`` directory,
which must therefore still exist where the file is loaded.
"""
from __future__ import annotations

import contextlib
import os

import numpy as np
import torch


def _transformers():
    try:
        import transformers
    except ImportError:
        raise ImportError(
            "TextLM(pretrained=...) needs the optional 'transformers' package "
            "(pip install transformers); or leave pretrained=None to train a small "
            "model from scratch."
        ) from None
    return transformers


def load_pretrained(path: str):
    """Tokenizer and model from a local directory, with a clear error otherwise."""
    transformers = _transformers()
    if not os.path.isdir(path):
        raise ValueError(
            f"pretrained={path!r} is not a directory; pass the local folder of a "
            "Hugging Face causal LM (with config.json and tokenizer files)."
        )
    tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    # building the model may draw weights it then overwrites from the global
    # RNG: draw them from a fixed seed in a fork, leaving the caller's RNG as it was
    with seeded_global_rng(0, torch.device("cpu")):
        model = transformers.AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
    if tok.eos_token_id is None:
        raise ValueError(
            f"the tokenizer in pretrained={path!r} has no end-of-text token; "
            "TextLM needs one to know where a text ends."
        )
    return tok, model


def add_label_tokens(tok, model, n_classes: int, seed: int, device) -> np.ndarray:
    """One new special token per class, appended to the vocabulary; their ids."""
    if n_classes == 0:
        return np.zeros(0, dtype=np.int64)
    names = [f"<|synthaug_label_{i}|>" for i in range(n_classes)]
    tok.add_tokens(names, special_tokens=True)
    with seeded_global_rng(seed, device):  # new embedding rows may be drawn at random
        model.resize_token_embeddings(len(tok))
    return np.asarray(tok.convert_tokens_to_ids(names), dtype=np.int64)


def hf_step(model, limit: int):
    """``generate``'s step for a Hugging Face model, using its own KV cache;
    logits past ``limit`` (label tokens, embedding padding) are left out."""
    import inspect

    # transformers 5 renamed the cache argument and output field
    # ``past_key_values`` -> ``cache``; accept whichever this version has.
    arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"

    def step(tokens, past):
        extra = {} if past is None else {arg: past}
        out = model(input_ids=tokens[:, None], use_cache=True, **extra)
        new = getattr(out, "cache", None)
        return out.logits[:, -1, :limit], out.past_key_values if new is None else new

    return step


def hf_loss(model):
    """Next-token cross-entropy of a Hugging Face model (padding ignored)."""
    from torch.nn import functional as F

    def loss(inp, tgt, generator=None):
        logits = model(input_ids=inp).logits
        return F.cross_entropy(logits.flatten(0, 1).float(), tgt.flatten(), ignore_index=-100)

    return loss


def hf_state_arrays(model) -> dict:
    # numpy has no bfloat16: floats travel as float32 and are cast back on load
    out = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu()
        out[f"net.{k}"] = (v.float() if v.is_floating_point() else v).numpy()
    return out


def restore_pretrained(path: str, n_classes: int, arrays: dict):
    """Rebuild a fine-tuned model from ``path`` plus its saved weights."""
    tok, model = load_pretrained(path)
    # the same label tokens; their initial rows are overwritten just below
    add_label_tokens(tok, model, n_classes, 0, torch.device("cpu"))
    current = model.state_dict()
    model.load_state_dict({
        k[4:]: torch.from_numpy(v).to(current[k[4:]].dtype)
        for k, v in arrays.items() if k.startswith("net.")
    })
    return tok, model.eval()


@contextlib.contextmanager
def seeded_global_rng(seed: int, device: torch.device):
    """Seed torch's global RNG (CPU, and ``device`` if CUDA) inside a fork that
    restores it afterwards: Hugging Face dropout and init read the global RNG."""
    devices = []
    if device.type == "cuda":
        devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices):
        torch.default_generator.manual_seed(seed)
        for d in devices:
            with torch.cuda.device(d):
                torch.cuda.manual_seed(seed)
        yield
