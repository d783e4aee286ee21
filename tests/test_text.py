"""TextLM's public contract: fit/sample/fit_resample on lists of str, class
conditioning, termination, filtering, persistence, determinism, bad input.

The corpus is two classes with disjoint vocabularies (farm animals vs spoken
arithmetic), so a one-layer model learns the conditioning in a few seconds.
Fits are shared through module-scoped fixtures to keep the file near 30 s.
"""
from __future__ import annotations

import io
import json
import sys
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import synthaug
from synthaug import TextLM

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

# smallest model that exercises every code path
FAST = dict(width=32, n_layers=1, n_heads=2, context_length=32, vocab_size=300,
            max_steps=40, device="cpu", random_state=0)
# enough to learn the two-class corpus (about 3 s on one CPU core)
TRAINED = dict(FAST, width=64, n_heads=4, max_steps=300, learning_rate=1e-2, dropout=0.0)


def _corpus(n=40, seed=0):
    rng = np.random.RandomState(seed)
    animals = ["cat", "dog", "horse", "cow", "duck", "sheep", "goat", "pig"]
    verbs = ["runs", "sleeps", "eats", "jumps", "walks", "sits"]
    places = ["in the field", "on the farm", "by the river", "in the barn", "near the house"]
    nums = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    ops = ["plus", "minus", "times"]
    a = [f"the {rng.choice(animals)} {rng.choice(verbs)} {rng.choice(places)}" for _ in range(n)]
    b = [f"{rng.choice(nums)} {rng.choice(ops)} {rng.choice(nums)} is {rng.choice(nums)}"
         for _ in range(n)]
    return a + b, ["animal"] * n + ["number"] * n


def same(a, b) -> bool:
    """Two ``sample`` results are equal: texts and (array) labels."""
    if isinstance(a, tuple):
        return a[0] == b[0] and np.array_equal(a[1], b[1])
    return a == b


@pytest.fixture(scope="module")
def corpus():
    return _corpus()


@pytest.fixture(scope="module")
def fast_model(corpus):
    return TextLM(**FAST).fit(*corpus)


@pytest.fixture(scope="module")
def trained_model(corpus):
    return TextLM(**TRAINED).fit(*corpus)


@pytest.fixture(scope="module")
def judge(corpus):
    """A classifier trained on the real texts only."""
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(*corpus)


# ------------------------------------------------------------- sklearn API
def test_fitted_attributes(fast_model):
    assert fast_model.classes_.tolist() == ["animal", "number"]
    assert fast_model.class_counts_.tolist() == [40, 40]
    assert fast_model.device_ == torch.device("cpu")
    assert fast_model.history_["steps"] == 40 and fast_model.n_truncated_ == 0
    assert all(np.isfinite(fast_model.history_["loss"]))


@pytest.mark.slow
def test_early_stopping_keeps_the_model_from_memorising(corpus, trained_model):
    """Held-out loss stops training (and picks the weights) before the model
    only replays its training texts; without it, nearly every text is a copy."""
    hist = trained_model.history_
    assert hist["steps"] < TRAINED["max_steps"] and hist["best_step"] < hist["steps"]
    assert min(hist["val_loss"]) < hist["val_loss"][-1]
    full = TextLM(**dict(TRAINED, validation_fraction=None)).fit(*corpus)
    assert full.history_["steps"] == TRAINED["max_steps"] and full.history_["val_loss"] == []
    train = set(corpus[0])

    def copies(est):
        return sum(t in train for t in est.sample(40)[0])

    assert copies(full) >= 30 and copies(trained_model) <= 10


def test_validation_split_is_stratified():
    from synthaug.engines.lm import split_validation

    groups = np.array([0] * 20 + [1] * 5 + [2] * 1)
    rows, held = split_validation(groups, 0.1, seed=0)
    assert sorted(np.r_[rows, held].tolist()) == list(range(26))
    assert np.bincount(groups[held], minlength=3).tolist() == [2, 1, 0]  # a class keeps a row
    assert split_validation(groups, None, 0)[1].size == 0


def test_epochs_caps_training(corpus):
    # 72 of 80 texts train (8 held out): 3 steps per epoch
    est = TextLM(**dict(FAST, epochs=2, batch_size=32)).fit(*corpus)
    assert est.history_["steps"] == 6 and len(est.history_["loss"]) == 2


# ------------------------------------------------------------ conditioning
@pytest.mark.slow
def test_label_conditioning(trained_model, judge):
    """Floor: a TF-IDF + logistic regression judge trained on the real texts
    assigns at least 90% of each class's generated texts to that class (the
    classes share no content word; a model that ignored its label prefix
    would score about 50%)."""
    texts, labels = trained_model.sample(y={"animal": 60, "number": 60})
    assert labels.tolist() == ["animal"] * 60 + ["number"] * 60
    pred = judge.predict(texts)
    for label in ("animal", "number"):
        mine = labels == label
        assert (pred[mine] == label).mean() >= 0.9, label


def test_only_tokens_of_the_corpus_are_generated(fast_model, corpus):
    """Even an undertrained model that babbles writes only characters its
    corpus contains (no control bytes, no stray scripts)."""
    texts, _ = fast_model.sample(40, temperature=2.0, top_p=1.0)
    assert set("".join(texts)) <= set("".join(corpus[0]))
    seen = fast_model.codec_.seen_ids_
    assert seen.sum() < len(seen)


def test_unlabelled_model_returns_texts_only(corpus):
    est = TextLM(**FAST).fit(corpus[0])
    out = est.sample(4)
    assert isinstance(out, list) and len(out) == 4 and all(isinstance(t, str) for t in out)
    with pytest.raises(ValueError, match="fitted without labels"):
        est.sample(2, y="animal")


# ------------------------------------------------------------- termination
def test_max_length_is_a_hard_cap(fast_model):
    tok = fast_model.codec_.tokenizer_
    texts, _ = fast_model.sample(30, max_length=3, temperature=1.5, top_p=1.0)
    assert all(len(ids) <= 3 for ids in tok.encode(texts))
    assert fast_model.sample_report_["unterminated"] > 0  # an undertrained model rambles


@pytest.mark.slow
def test_end_token_stops_generation(trained_model):
    """A trained model ends its texts: they are short, like the corpus, and
    (almost) none runs into the context limit."""
    texts, _ = trained_model.sample(60)
    report = trained_model.sample_report_
    assert report["unterminated"] <= 3
    assert max(len(t) for t in texts) < 60


@pytest.mark.parametrize("bad, exc, name", [
    (dict(max_length=33), ValueError, "max_length"), (dict(max_length=0), ValueError, "max_length"),
    (dict(temperature=-1.0), ValueError, "temperature"), (dict(top_p=0.0), ValueError, "top_p"),
    (dict(top_p=1.5), ValueError, "top_p"), (dict(curate="yes"), TypeError, "curate"),
    (dict(filter=True), TypeError, "filter"),
])
def test_bad_sampling_arguments(fast_model, bad, exc, name):
    with pytest.raises(exc, match=name):
        fast_model.sample(2, **bad)


# ------------------------------------------------------------- determinism
def test_global_rng_untouched(corpus, no_global_rng_change):
    est = TextLM(**dict(FAST, max_steps=5, dropout=0.2, random_state=None)).fit(*corpus)
    est.sample(5)
    est.sample(5, curate=True)
    no_global_rng_change()


# -------------------------------------------------------- unusual texts
def test_unicode_and_empty_strings(no_global_rng_change):
    texts = ["naïve café ☕", "日本語です", "", "emoji 🙂🙂", "", "Ελληνικά κείμενα"] * 3
    labels = ["x", "y"] * 9
    est = TextLM(**dict(FAST, max_steps=20)).fit(pd.Series(texts), pd.Series(labels))
    assert est.curator_.texts_ == texts  # learned exactly, byte for byte
    out, lab = est.sample(12, temperature=2.0)
    assert len(out) == 12 and all(isinstance(t, str) for t in out)
    assert set(lab) <= {"x", "y"}
    no_global_rng_change()


def test_very_long_text_is_truncated_with_a_warning(corpus):
    texts = list(corpus[0])
    texts[3] = "word " * 20000  # 100 kB: far past any context
    with pytest.warns(UserWarning, match=r"1 of 80 texts .* context_length=32"):
        est = TextLM(**dict(FAST, max_steps=5)).fit(texts, corpus[1])
    assert est.n_truncated_ == 1 and len(est.curator_.texts_[3]) < 32 * 16
    assert len(est.sample(3)[0]) == 3


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("X, y, exc, match", [
    (["a", None, "b"], None, TypeError, r"X\[1\] is a missing value"),
    (["a", "b", 3], None, TypeError, r"X\[2\] is a int"),
    (["a", b"bytes"], None, TypeError, r"X\[1\] is a bytes"),
    ("just one string", None, TypeError, r"X is a single str"),
    (np.array([["a", "b"], ["c", "d"]]), None, ValueError, r"X must be 1-dimensional"),
    (["only one"], None, ValueError, r"X has 1 text"),
    ([], None, ValueError, r"X has 0 text"),
    (["a", "b", "c"], ["x", "y"], ValueError, r"X has 3 rows but y has 2"),
    (["a", "b", "c", "d"], ["x", "x", "x", "x"], ValueError, r"y has a single class"),
    ({"a": 1}, None, TypeError, r"X must be a list"),
    (pd.DataFrame({"a": ["x", "y"], "b": ["z", "w"]}), None, ValueError, r"X is a DataFrame"),
])
def test_bad_fit_input(X, y, exc, match):
    with pytest.raises(exc, match=match):
        TextLM(**FAST).fit(X, y)


@pytest.mark.parametrize("params, exc, name", [
    (dict(max_steps=0), ValueError, "max_steps"), (dict(vocab_size=100), ValueError, "vocab_size"),
    (dict(width=30, n_heads=4), ValueError, "width"), (dict(dropout=1.0), ValueError, "dropout"),
    (dict(epochs=1.5), TypeError, "epochs"), (dict(overgenerate=0.5), ValueError, "overgenerate"),
    (dict(min_confidence=1.0), ValueError, "min_confidence"),
    (dict(duplicate_threshold=0), ValueError, "duplicate_threshold"),
    (dict(pretrained=3), TypeError, "pretrained"), (dict(device="tpu"), ValueError, "device"),
])
def test_bad_params_raise_in_fit(corpus, params, exc, name):
    with pytest.raises(exc, match=name):
        TextLM(**dict(FAST, **params)).fit(*corpus)


def test_caller_data_not_modified(corpus):
    X, y = list(corpus[0]), np.array(corpus[1])
    X_copy, y_copy = list(X), y.copy()
    TextLM(**dict(FAST, max_steps=3)).fit_resample(X, y)
    assert X == X_copy and np.array_equal(y, y_copy)


# ------------------------------------------------------------- fit_resample
def test_fit_resample_lists_real_first(corpus):
    X, y = corpus[0][:50], corpus[1][:50]  # 40 animal, 10 number
    est = TextLM(**dict(FAST, max_steps=10))
    X_res, y_res = est.fit_resample(X, y)
    assert isinstance(X_res, list) and isinstance(y_res, list)  # the callers' containers
    assert X_res[:50] == X and y_res[:50] == y
    assert y_res.count("animal") == y_res.count("number") == 40
    X_arr, y_ser = est.fit_resample(np.array(X), pd.Series(y, name="topic"))
    assert isinstance(X_arr, np.ndarray) and X_arr.tolist() == X_res
    assert isinstance(y_ser, pd.Series) and y_ser.name == "topic"
    assert est.sampling_strategy_ == {"animal": 0, "number": 30}
    with pytest.raises(ValueError, match="needs y"):
        est.fit_resample(X, None)


# ----------------------------------------------------------------- curation
@pytest.mark.slow
def test_curation_drops_copies_and_reports(trained_model, judge, corpus):
    texts, labels = trained_model.sample(y={"animal": 20, "number": 20}, curate=True)
    report = trained_model.sample_report_
    assert len(texts) == len(labels) == report["returned"] == report["requested"] == 40
    assert report["generated"] >= 120  # over-generated 3x
    assert report["dropped_duplicate"] > 0
    train = {t.lower() for t in corpus[0]}
    assert not any(t.lower() in train for t in texts) and len(set(texts)) == 40
    assert sorted(labels) == ["animal"] * 20 + ["number"] * 20
    assert (judge.predict(texts) == labels).mean() >= 0.95
    plain, _ = trained_model.sample(40)
    assert "dropped_duplicate" not in trained_model.sample_report_
    assert sum(t.lower() in train for t in plain) > 0  # without curation, copies


@pytest.mark.slow
def test_curate_param_and_shortfall_warning(corpus):
    est = TextLM(**dict(TRAINED, curate=True, overgenerate=1.0, duplicate_threshold=0.05))
    est.fit(*corpus)  # a threshold this low calls nearly everything a near copy
    with pytest.warns(UserWarning, match="curation kept"):
        texts, labels = est.sample(10)
    assert len(texts) == len(labels) < 10 and est.sample_report_["rounds"] == 4


def test_curation_runs_unit_by_unit_and_streams_the_same(fast_model, tmp_path):
    """With units of 8 texts, 20 curated texts are three units curated in
    turn; the file holds what sample returns, and the report adds up."""
    model = clone(fast_model).set_params(sample_batch_size=8).fit(*_corpus())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an undertrained model may fall short
        texts, labels = model.sample(20, curate=True, random_state=1)
        report = dict(model.sample_report_)
        model.sample_to_file(tmp_path / "c.jsonl", 20, curate=True, random_state=1)
    rows = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == texts and [r["label"] for r in rows] == labels.tolist()
    assert report["returned"] == len(texts) <= 20 and report["generated"] >= 3 * len(texts)
    assert report["rounds"] >= 3  # at least one round for each of the three units


# -------------------------------------------------------------- persistence
def test_save_load_round_trip(fast_model, tmp_path):
    path = tmp_path / "lm.synthaug"
    fast_model.save(path)
    loaded = synthaug.load(path)
    assert type(loaded) is TextLM and loaded.get_params() == fast_model.get_params()
    assert loaded.history_ == fast_model.history_
    assert loaded.classes_.tolist() == fast_model.classes_.tolist()
    assert loaded.curator_.texts_ == fast_model.curator_.texts_
    assert same(loaded.sample(25, random_state=3), fast_model.sample(25, random_state=3))
    assert same(loaded.sample(20, curate=True), fast_model.sample(20, curate=True))
    with zipfile.ZipFile(path) as zf:
        doc = json.loads(zf.read("synthaug.json"))
        for name in zf.namelist():
            if name.endswith(".npy"):
                arr = np.lib.format.read_array(io.BytesIO(zf.read(name)), allow_pickle=False)
                assert arr.dtype != object
    assert doc["class"] == "TextLM" and "merges" in str(zf.namelist())


def test_sample_to_file_writes_what_sample_returns(fast_model, tmp_path):
    """One text per line (labels beside, in their own file), JSON lines with
    labels, or CSV: the texts and labels of ``sample`` with the same seed,
    whatever the chunking (the model samples in units of 8 here)."""
    model = clone(fast_model).set_params(sample_batch_size=8).fit(*_corpus())
    texts, labels = model.sample(21, random_state=4)
    out = model.sample_to_file(tmp_path / "t.txt", 21, random_state=4, chunk_size=5)
    assert out == (tmp_path / "t.txt", tmp_path / "t.labels.txt")
    assert (tmp_path / "t.txt").read_text(encoding="utf-8").split("\n")[:-1] == texts
    assert (tmp_path / "t.labels.txt").read_text().split() == labels.tolist()
    model.sample_to_file(tmp_path / "t.jsonl", 21, random_state=4, chunk_size=13)
    rows = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == texts and [r["label"] for r in rows] == labels.tolist()
    model.sample_to_file(tmp_path / "t.csv", 21, random_state=4)
    frame = pd.read_csv(tmp_path / "t.csv", keep_default_na=False)
    assert frame["text"].tolist() == texts and frame["label"].tolist() == labels.tolist()
    with pytest.raises(ValueError, match=r"\.txt or \.jsonl or \.csv"):
        model.sample_to_file(tmp_path / "t.npy", 3)


# --------------------------------------------------------- pretrained path
def test_pretrained_without_transformers_says_how(corpus, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # import fails
    with pytest.raises(ImportError, match="pip install transformers"):
        TextLM(**dict(FAST, pretrained=str(tmp_path))).fit(*corpus)


def test_pretrained_fine_tunes_a_local_model(corpus, tmp_path, no_global_rng_change):
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    from tiny_hf import make_tiny_gpt2

    path = make_tiny_gpt2(tmp_path / "tiny", corpus[0] + corpus[1], transformers, tokenizers)
    est = TextLM(**dict(FAST, pretrained=str(path), max_steps=60, learning_rate=3e-3))
    est.fit(*corpus)
    texts, labels = est.sample(y={"animal": 4, "number": 4}, max_length=20)
    assert len(texts) == 8 and all(isinstance(t, str) for t in texts)
    assert labels.tolist() == ["animal"] * 4 + ["number"] * 4
    assert same(est.sample(6, random_state=1), est.sample(6, random_state=1))
    est.save(tmp_path / "hf.synthaug")
    loaded = synthaug.load(tmp_path / "hf.synthaug")
    assert same(loaded.sample(6, random_state=1), est.sample(6, random_state=1))
    no_global_rng_change()


# ------------------------------------------------------------------- CUDA
@cuda
def test_cuda_fit_sample_and_load_on_cpu(corpus, tmp_path):
    est = TextLM(**dict(FAST, device="cuda")).fit(*corpus)
    assert next(est.net_.parameters()).is_cuda
    assert same(est.sample(10), est.sample(10))
    est.save(tmp_path / "m.zip")
    cpu = synthaug.load(tmp_path / "m.zip", device="cpu")
    assert len(cpu.sample(5)[0]) == 5
