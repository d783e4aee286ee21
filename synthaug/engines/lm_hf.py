"""The pretrained language-model engine: a local Hugging Face causal LM,
fine-tuned on the texts with the native engine's loop.

``transformers`` is imported only here (and in the matching codec), only
when ``TextLM(pretrained=...)`` is used; it is never a dependency of
synthaug. Nothing is downloaded: the model loads from the given directory
(``local_files_only``). A saved model keeps the fine-tuned weights but not
the architecture: loading rebuilds it from the same ``pretrained``
directory, which must therefore still exist where the file is loaded.
"""
from __future__ import annotations

import contextlib
import inspect

import numpy as np
import torch
from torch.nn import functional as F

from ..optional import transformers
from .base import load_module_arrays, module_arrays
from .lm import IGNORE, LMEngine


class HFLMEngine(LMEngine):
    """Fine-tunes the causal LM in ``pretrained``; the size parameters of
    the native engine are unused. Each class gets a new special token."""

    def __init__(self, pretrained: str, **kw):
        super().__init__(**kw)
        self.pretrained = pretrained

    def _build(self, layout, n_classes: int, seed: int, device) -> None:
        # building the model may draw weights it then overwrites from the global
        # RNG: draw them from a fixed seed in a fork, leaving the caller's RNG as it was
        with seeded_global_rng(0, torch.device("cpu")):
            model = transformers().AutoModelForCausalLM.from_pretrained(
                self.pretrained, local_files_only=True)
        self.label_ids = _add_label_tokens(layout.tokenizer, model, n_classes, seed, device)
        self.net = model.to(device)

    def _loss_fn(self):
        model = self.net

        def loss(inp, tgt, generator=None):  # dropout reads the (seeded) global RNG
            logits = model(input_ids=inp).logits
            return F.cross_entropy(logits.flatten(0, 1).float(), tgt.flatten(),
                                   ignore_index=IGNORE)

        return loss

    def _rng_scope(self, seed: int, device):
        return seeded_global_rng(seed, device)

    def _stepper(self, batch: int, length: int):
        """``generate``'s step using the model's own KV cache; logits past
        the text vocabulary (label tokens, embedding padding) are left out."""
        model = self.net
        limit = int(self.label_ids.min()) if len(self.label_ids) else len(self.layout.tokenizer)
        # transformers 5 renamed the cache argument and output field
        # ``past_key_values`` -> ``cache``; accept whichever this version has.
        arg = ("cache" if "cache" in inspect.signature(model.forward).parameters
               else "past_key_values")

        def step(tokens, past):
            extra = {} if past is None else {arg: past}
            out = model(input_ids=tokens[:, None], use_cache=True, **extra)
            new = getattr(out, "cache", None)
            return out.logits[:, -1, :limit], out.past_key_values if new is None else new

        return step, None, None

    def state(self) -> tuple[dict, dict]:
        return {"label_ids": self.label_ids.tolist()}, module_arrays("net", self.net)

    def restore(self, config: dict, arrays: dict, layout, n_classes: int, device) -> None:
        self.layout = layout
        self._build(layout, n_classes, 0, torch.device("cpu"))  # same label tokens, new rows
        self._check_labels(config)
        load_module_arrays("net", self.net, arrays)  # ... overwritten here
        self.net = self.net.to(device).eval()


def _add_label_tokens(tok, model, n_classes: int, seed: int, device) -> np.ndarray:
    """One new special token per class, appended to the vocabulary; their ids."""
    if n_classes == 0:
        return np.zeros(0, dtype=np.int64)
    names = [f"<|synthaug_label_{i}|>" for i in range(n_classes)]
    tok.add_tokens(names, special_tokens=True)
    with seeded_global_rng(seed, device):  # new embedding rows may be drawn at random
        model.resize_token_embeddings(len(tok))
    return np.asarray(tok.convert_tokens_to_ids(names), dtype=np.int64)


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
