"""The text benchmark's own logic (no dataset packages needed): the EDA arm,
the stratified draw, paired gains and the page writer."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from benchmarks.common.draws import draw
from benchmarks.text.cell import eda
from benchmarks.text.config import DATASETS, QUICK, Config
from benchmarks.text.main import config_from_args, parse_args, write_page
from benchmarks.text.render import MARKERS, paired_gains


def test_eda_edits_only_reorder_and_drop_words():
    texts = ["the quick brown fox jumps over the lazy dog", "one", ""]
    out, labels = eda(texts, ["a", "b", "c"], 3, seed=0)
    assert labels == ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    for source, copies in zip(texts, [out[0:3], out[3:6], out[6:9]]):
        for copy in copies:
            assert not Counter(copy.split()) - Counter(source.split())  # no new words
            assert bool(copy) == bool(source)  # a non-empty text keeps a word
    assert out[0:3] != [texts[0]] * 3
    assert eda(texts, ["a"] * 3, 3, seed=0)[0] == out  # seeded


def test_draw_is_stratified_disjoint_and_the_text_benchmarks_own():
    y = np.array(["x"] * 30 + ["y"] * 12)
    train, test = draw(y, 5, [1, 5])
    assert Counter(y[train].tolist()) == {"x": 5, "y": 5}
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 42
    assert np.array_equal(train, draw(y, 5, [1, 5])[0])
    # the split the text benchmark always drew: k per class from rng([seed, k])
    rng = np.random.default_rng([1, 5])
    before = np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), 5, replace=False)
                                     for c in np.unique(y)]))
    assert np.array_equal(train, before)


def _fake_results():
    rows = []
    for seed in range(3):
        for arm, shift in (("none", 0.0), ("eda", 0.01), ("textlm", -0.02),
                           ("textlm_filter", 0.0)):
            rows.append({"dataset": "d", "k": 5, "seed": seed, "arm": arm, "n_test": 100,
                         "accuracy": 0.5 + 0.1 * seed + shift, "macro_f1": 0.5,
                         "tstr_accuracy": 0.4, "copy_rate": 0.0, "fit_s": 1.0,
                         "texts_per_s": 10.0, "lm_steps": 5, "lm_best_step": 3,
                         "n_synthetic": 10, "filter_dropped": 5})
    return pd.DataFrame(rows)


def test_paired_gains_are_exact_when_the_difference_is_constant():
    gains = paired_gains(_fake_results()).set_index("arm")
    assert gains.loc["eda", "gain_pt"] == pytest.approx(1.0)
    assert gains.loc["eda", "lo"] == pytest.approx(1.0) and gains.loc["textlm", "hi"] < 0
    assert gains.loc["none", "gain_pt"] == 0


def test_page_block_replaces_only_its_markers(tmp_path):
    name = DATASETS[0]
    df = _fake_results()
    df["dataset"] = name
    df.to_csv(tmp_path / f"text_{name}.csv.gz", index=False)
    meta = {"runs": [{"command": "cmd", "date": "today", "wall_s": 60, "machine": "m"}],
            "model": "defaults", "examples": {"5": {"textlm": {"x": ["a text"]}}}}
    (tmp_path / f"text_{name}.json").write_text(json.dumps(meta))
    md = tmp_path / "text.md"
    md.write_text("# results\n\n## Tabular\nkeep me\n")
    write_page(tmp_path, md)
    first = md.read_text()
    assert first.startswith("# results\n\n## Tabular\nkeep me\n")
    assert MARKERS.begin in first and "+1.0 [+1.0, +1.0]" in first
    assert '`textlm` / **x**: "a text"' in first
    md.write_text(first + "\n## Images\nkeep me too\n")
    write_page(tmp_path, md)  # a second write replaces, never duplicates
    again = md.read_text()
    assert again.count(MARKERS.begin) == 1 and again.endswith("keep me too\n")


def test_old_command_lines_still_parse():
    cfg = config_from_args(parse_args(["--dataset", "reuters_r8", "--ks", "50",
                                       "--first-seed", "3", "--seeds", "2"]))
    assert cfg.datasets == ["reuters_r8"] and cfg.ks == [50]
    assert cfg.seed_list() == [3, 4] and cfg.max_steps is None
    quick = config_from_args(parse_args(["--quick"]))
    assert quick.ks == QUICK["ks"] and quick.max_steps == 150
    assert quick.datasets == Config().datasets  # both corpora
    assert quick.model_params("reuters_r8") == {"context_length": 64, "max_steps": 150}
