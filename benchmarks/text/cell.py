"""One (dataset, k, seed) cell of the text benchmark: every arm's row.

Draw k real texts per class (the rest is the test set); train TF-IDF +
logistic regression on the real texts plus each arm's synthetic texts.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline

from ..common.draws import draw
from .config import RATIO, Config
from .data import load


def eda(texts, labels, n_aug: int, seed: int, p: float = 0.1):
    """EDA-style copies: per copy, swap ~p of the word pairs, then delete each
    word with probability p (keeping at least one word)."""
    rng = np.random.default_rng(seed)
    out, out_y = [], []
    for text, label in zip(texts, labels):
        words = text.split()
        for _ in range(n_aug):
            w = list(words)
            for _ in range(max(1, int(p * len(w))) if len(w) > 1 else 0):
                i, j = rng.choice(len(w), 2, replace=False)
                w[i], w[j] = w[j], w[i]
            keep = rng.random(len(w)) >= p
            if w and not keep.any():
                keep[rng.integers(len(w))] = True
            out.append(" ".join(x for x, kept in zip(w, keep) if kept))
            out_y.append(label)
    return out, out_y


def downstream():
    return make_pipeline(TfidfVectorizer(sublinear_tf=True),
                         LogisticRegression(C=10.0, max_iter=2000))


def score(X_fit, y_fit, X_test, y_test) -> dict:
    pred = downstream().fit(list(X_fit), list(y_fit)).predict(list(X_test))
    return {"accuracy": accuracy_score(y_test, pred),
            "macro_f1": f1_score(y_test, pred, average="macro")}


def run_cell(cfg: Config, name: str, k: int, seed: int) -> tuple[list[dict], dict]:
    """Every arm on one (dataset, k, seed) split; rows and example texts."""
    X, y = load(name)
    # [seed, k]: the splits of different k are independent draws
    tr, te = draw(y, k, [seed, k])
    Xr, yr, Xt, yt = list(X[tr]), list(y[tr]), X[te], y[te]
    base = {"dataset": name, "k": k, "seed": seed, "n_train": len(tr), "n_test": len(te)}
    rows = [{**base, "arm": "none", **score(Xr, yr, Xt, yt)}]
    Xe, ye = eda(Xr, yr, RATIO, seed)
    rows.append({**base, "arm": "eda", **score(Xr + Xe, yr + ye, Xt, yt), "n_synthetic": len(Xe)})
    params = dict(cfg.model_params(name), random_state=seed, device="auto")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # truncation / filter shortfall
        lm_rows, examples = _textlm_rows(params, base, Xr, yr, Xt, yt, k)
    return rows + lm_rows, examples


def _textlm_rows(params: dict, base: dict, Xr, yr, Xt, yt, k: int):
    """``textlm`` and ``textlm_filter``: one TextLM fit, sampled without and
    with curation (its quality filter; the arm keeps its first name)."""
    from synthaug import TextLM
    from synthaug.text_filter import TextQualityFilter

    t0 = time.perf_counter()
    model = TextLM(**params).fit(Xr, yr)
    fit_s = time.perf_counter() - t0
    want = {c: RATIO * k for c in model.classes_.tolist()}
    copies = TextQualityFilter().fit(Xr)
    rows, examples = [], {}
    for arm, use_filter in (("textlm", False), ("textlm_filter", True)):
        t0 = time.perf_counter()
        S, ys = model.sample(y=want, curate=use_filter)
        ys = ys.tolist()  # the labels as the training labels' list
        sample_s = time.perf_counter() - t0
        report = model.sample_report_
        row = {**base, "arm": arm, **score(Xr + S, yr + ys, Xt, yt),
               "n_synthetic": len(S), "fit_s": fit_s, "sample_s": sample_s,
               "texts_per_s": report["generated"] / sample_s,
               "copy_rate": float(copies.is_duplicate(S).mean()) if S else np.nan,
               "lm_steps": model.history_["steps"], "lm_best_step": model.history_["best_step"]}
        if len(set(ys)) > 1:
            row["tstr_accuracy"] = score(S, ys, Xt, yt)["accuracy"]
        if use_filter:
            row["filter_dropped"] = report["generated"] - report["returned"]
        rows.append(row)
        examples[arm] = {c: [s for s, l in zip(S, ys) if l == c][:2] for c in want}
    return rows, examples
