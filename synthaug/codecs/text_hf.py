"""Texts <-> token ids with a pretrained Hugging Face tokenizer.

``transformers`` is imported only here (and in the matching engine), only
when ``TextLM(pretrained=...)`` is used. Nothing is downloaded: the
tokenizer loads from the given directory (``local_files_only``), and is
loaded from it again when a saved model is loaded.
"""
from __future__ import annotations

import os

import numpy as np

from ..optional import transformers
from .text import TextCodec, TokenLayout


def load_tokenizer(path: str):
    """A tokenizer from a local directory, with a clear error otherwise."""
    module = transformers()
    if not os.path.isdir(path):
        raise ValueError(
            f"pretrained={path!r} is not a directory; pass the local folder of a "
            "Hugging Face causal LM (with config.json and tokenizer files)."
        )
    tok = module.AutoTokenizer.from_pretrained(path, local_files_only=True)
    if tok.eos_token_id is None:
        raise ValueError(
            f"the tokenizer in pretrained={path!r} has no end-of-text token; "
            "TextLM needs one to know where a text ends."
        )
    return tok


class HFTextCodec(TextCodec):
    """The texts in the pretrained model's own tokens. Its layout hands the
    engine the tokenizer, to which the engine adds one token per class."""

    def __init__(self, pretrained: str, context_length: int = 128):
        super().__init__(context_length=context_length)
        self.pretrained = pretrained

    def _new_tokenizer(self) -> None:
        self.tokenizer_ = load_tokenizer(self.pretrained)

    def _encode(self, texts: list[str]) -> list[np.ndarray]:
        ids = self.tokenizer_(texts, add_special_tokens=False)["input_ids"]
        return [np.asarray(s, dtype=np.int64) for s in ids]

    def _decode_ids(self, seqs) -> list[str]:
        return self.tokenizer_.batch_decode([list(map(int, s)) for s in seqs],
                                            skip_special_tokens=True)

    def _note_seen(self, seqs) -> None:
        self.seen_ids_ = None  # a pretrained model may use its whole vocabulary

    @property
    def eos_id(self) -> int:
        return self.tokenizer_.eos_token_id

    @property
    def layout(self) -> TokenLayout:
        tok = self.tokenizer_
        # GPT-2 style tokenizers use their end token as the start token
        bos = tok.eos_token_id if tok.bos_token_id is None else tok.bos_token_id
        return TokenLayout(len(tok), tok.eos_token_id, bos, None, tokenizer=tok)

    def state(self) -> tuple[dict, dict]:
        kind, name, dtype = self.container_
        return {"container": [kind, name, dtype], "n_truncated": int(self.n_truncated_)}, {}

    def restore(self, config: dict, arrays: dict) -> None:
        self.tokenizer_ = load_tokenizer(self.pretrained)
        self.seen_ids_ = None
        self._restore_common(config)
