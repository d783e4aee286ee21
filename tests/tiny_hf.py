"""A tiny Hugging Face causal LM built locally (nothing downloaded), for the
optional pretrained path of TextLM. Used only when ``transformers`` is installed."""
from __future__ import annotations

from pathlib import Path

import torch


def make_tiny_gpt2(path: Path, texts, transformers, tokenizers) -> Path:
    """Write a 1-layer GPT-2 and a byte-level BPE tokenizer trained on ``texts``."""
    bpe = tokenizers.ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=300, min_frequency=1,
                            special_tokens=["<|endoftext|>"])
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer, eos_token="<|endoftext|>", bos_token="<|endoftext|>"
    )
    config = transformers.GPT2Config(
        vocab_size=len(tok), n_positions=64, n_embd=32, n_layer=1, n_head=2,
        bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = transformers.GPT2LMHeadModel(config)
    path.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(path)
    model.save_pretrained(path)
    return path
