"""The parts of TextLM: byte-level BPE tokenizer, transformer + KV cache,
batched nucleus sampling, and the quality filter. Pure functions, no fitting
of a TextLM, so each test takes milliseconds."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from synthaug.codecs.bpe import ByteBPETokenizer
from synthaug.nets.transformer import CausalTransformer, generate, next_tokens
from synthaug.text_filter import TextQualityFilter, normalize

UNICODE = [
    "naïve café", "日本語のテキスト", "emoji 🙂👍🏽 mix", "", "tab\tand\nnewline",
    "\x00 control", "Ελληνικά", "combining e\u0301", "the cat sat", "the cat sat on the mat",
]


# ---------------------------------------------------------------- tokenizer
@pytest.mark.parametrize("vocab_size", [256, 300, 1024])
def test_tokenizer_round_trips_any_unicode(vocab_size):
    tok = ByteBPETokenizer(vocab_size)
    encoded = tok.fit_encode(UNICODE)
    assert tok.decode(encoded) == UNICODE
    assert [e.tolist() for e in tok.encode(UNICODE)] == [e.tolist() for e in encoded]
    assert all(((e >= 0) & (e < tok.eos_id)).all() for e in encoded)
    assert len(tok.merges_) <= vocab_size - 256
    assert tok.encode(["never seen: ß∂ƒ"])[0].size > 0  # no unknown token, ever
    assert tok.decode(tok.encode(["never seen: ß∂ƒ"])) == ["never seen: ß∂ƒ"]


def test_tokenizer_bpe_shortens_and_stays_within_words():
    corpus = ["the quick brown fox jumps over the lazy dog"] * 5 + ["the dog sleeps"] * 5
    tok = ByteBPETokenizer(400).fit(corpus)
    n_bytes = sum(len(t.encode()) for t in corpus)
    assert sum(len(e) for e in tok.encode(corpus)) < n_bytes / 3
    for i in range(256, 256 + len(tok.merges_)):
        piece = tok.decode([[i]])[0]
        assert not any(ch.isspace() for ch in piece[1:]), piece  # whitespace only leads


def test_tokenizer_min_frequency_and_tiny_corpus():
    tok = ByteBPETokenizer(1024, min_frequency=2).fit(["abc", "xyz"])
    assert len(tok.merges_) == 0  # no pair occurs twice
    assert tok.n_tokens == 258 and tok.eos_id == 256 and tok.bos_id == 257


def test_tokenizer_merges_runs_left_to_right():
    tok = ByteBPETokenizer(257).fit(["aa aa aa"])  # learns exactly (a, a)
    assert tok.merges_.tolist() == [[97, 97]]
    assert tok.encode(["aaaaa"])[0].tolist() == [256, 256, 97]


def test_tokenizer_decode_drops_invalid_bytes_and_specials():
    tok = ByteBPETokenizer(256).fit(["x"])
    half_euro = list("€".encode())[:2]  # a cut multi-byte character
    assert tok.decode([[104, 105, *half_euro, tok.eos_id, 33], [], [10**6]]) == ["hi!", "", ""]


def test_tokenizer_state_round_trip_and_bad_state():
    tok = ByteBPETokenizer(400).fit(UNICODE * 3)
    config, arrays = tok.get_state()
    twin = ByteBPETokenizer.from_state(config, arrays)
    assert [e.tolist() for e in twin.encode(UNICODE)] == [e.tolist() for e in tok.encode(UNICODE)]
    bad = arrays["merges"].copy()
    bad[0] = [5000, 1]
    with pytest.raises(ValueError, match="not yet defined"):
        ByteBPETokenizer.from_state(config, {"merges": bad})
    with pytest.raises(ValueError, match="vocab_size"):
        ByteBPETokenizer(100)


# -------------------------------------------------------------- transformer
def test_kv_cache_steps_match_full_forward():
    torch.manual_seed(0)
    net = CausalTransformer(50, 16, d_model=32, n_layers=2, n_heads=4).eval()
    idx = torch.randint(0, 50, (3, 10))
    with torch.inference_mode():
        full = net(idx)
        cache = net.new_cache(3, 10)
        steps = torch.stack([net.step(idx[:, t], cache) for t in range(10)], 1)
    torch.testing.assert_close(steps, full, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="context_length"):
        net(torch.zeros((1, 17), dtype=torch.long))


def test_kv_cache_select_keeps_rows():
    torch.manual_seed(0)
    net = CausalTransformer(20, 8, d_model=16, n_layers=1, n_heads=2).eval()
    idx = torch.randint(0, 20, (4, 5))
    with torch.inference_mode():
        cache = net.new_cache(4, 5)
        for t in range(4):
            net.step(idx[:, t], cache)
        cache.select(torch.tensor([1, 3]))
        last = net.step(idx[[1, 3], 4], cache)
        torch.testing.assert_close(last, net(idx[[1, 3]])[:, 4], rtol=1e-4, atol=1e-5)


def test_nucleus_sampling_keeps_only_the_nucleus():
    gen = torch.Generator().manual_seed(0)
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]])).repeat(4000, 1)
    draws = next_tokens(logits, 1.0, 0.7, gen)  # 0.5 < 0.7 <= 0.8: ids {0, 1}
    assert set(draws.tolist()) == {0, 1}
    share = (draws == 0).float().mean().item()
    assert abs(share - 0.5 / 0.8) < 0.03  # renormalised within the nucleus
    assert set(next_tokens(logits, 1.0, 0.5, gen).tolist()) == {0}
    assert set(next_tokens(logits, 1.0, 1.0, gen).tolist()) == {0, 1, 2, 3}
    assert set(next_tokens(logits, 0.0, 1.0, gen).tolist()) == {0}  # greedy


def _scripted_step(script):
    """A step function that emits ``script[row][t]`` with certainty."""
    script = torch.tensor(script)

    def step(tokens, t):
        logits = torch.full((len(tokens), 10), -1e9)
        logits[torch.arange(len(tokens)), script[:len(tokens), t]] = 0.0
        return logits, t + 1

    return step


def test_generate_stops_at_end_token_and_at_max_new():
    eos = 9
    step = _scripted_step([[1, 2, eos, 3, 3, 3], [4, eos, 5, 5, 5, 5], [6, 6, 6, 6, 6, 6]])
    gen = torch.Generator().manual_seed(0)
    out = generate(step, 0, torch.zeros(3, dtype=torch.long), eos_id=eos, max_new=4,
                   temperature=1.0, top_p=1.0, generator=gen)
    assert out.tolist() == [[1, 2, eos, eos], [4, eos, eos, eos], [6, 6, 6, 6]]


def test_generate_stops_early_when_all_rows_end():
    calls = []
    inner = _scripted_step([[eos := 9] * 50, [1, eos] + [1] * 48])

    def step(tokens, t):
        calls.append(t)
        return inner(tokens, t)

    out = generate(step, 0, torch.zeros(2, dtype=torch.long), eos_id=eos, max_new=50,
                   temperature=1.0, top_p=1.0, generator=torch.Generator())
    assert len(calls) == 2 and out.shape == (2, 50) and (out[:, 2:] == eos).all()


# ------------------------------------------------------------------ filter
def _jaccard(a, b, n=4):
    sa = {a[i : i + n] for i in range(len(a) - n + 1)}
    sb = {b[i : i + n] for i in range(len(b) - n + 1)}
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def test_filter_similarity_matches_brute_force():
    train = ["the cat sat on the mat", "one plus two is three", "a dog runs in the park"]
    query = ["the cat sat on the rug", "one plus two is four", "nothing alike here", "ab"]
    filt = TextQualityFilter(query_chunk=2).fit(train)
    expected = [max(_jaccard(normalize(q), normalize(t)) for t in train) for q in query]
    np.testing.assert_allclose(filt.max_similarity(query), expected)


def test_filter_flags_copies_and_near_copies():
    train = ["The cat sat on the mat.", "One plus two is three", "a"]
    filt = TextQualityFilter(duplicate_threshold=0.7).fit(train)
    flags = filt.is_duplicate(["the CAT sat on the mat", "one plus two is three!",
                               "the cat sat on the hat", "a", "something new entirely"])
    assert flags.tolist() == [True, True, True, True, False]


def test_filter_select_quota_labels_and_repeats():
    train = ["cats purr and cats meow", "dogs bark at night", "two plus two", "five minus one"]
    filt = TextQualityFilter().fit(train, np.array([0, 0, 1, 1]))
    texts = ["cats meow and purr", "seven plus five", "cats meow and purr", "dogs bark at night",
             "three plus three", "nine minus two", "cats love milk"]
    labels = np.array([0, 1, 0, 0, 1, 1, 1])  # the last one carries the wrong label
    seen: set = set()
    keep, dropped = filt.select(texts, labels, np.array([5, 2]), seen=seen)
    kept = [texts[i] for i in keep]
    assert "dogs bark at night" not in kept and kept.count("cats meow and purr") == 1
    assert "cats love milk" not in kept and dropped["label"] >= 1
    assert dropped["duplicate"] == 2  # the training copy and the in-batch repeat
    assert sum(labels[keep] == 1) == 2 and dropped["surplus"] >= 0
    again, _ = filt.select(["cats meow and purr"], np.array([0]), np.array([1]), seen=seen)
    assert again.size == 0  # already kept in an earlier round
