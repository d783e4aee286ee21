"""``python -m benchmarks.semi``: the unlabelled-data benchmark (issue 4).

For every (dataset, k, seed) cell: draw k labelled rows per class (a
stratified fraction for imbalanced data, as ``benchmarks.run`` does), then a
pool of ``--unlabelled`` rows from the remaining rows whose labels are
hidden; every other row is the test set, so no arm ever sees a test row.
Arms, all on the same split:

* ``none``: the downstream model on the labelled rows;
* ``self-training``: scikit-learn's ``SelfTrainingClassifier`` around the
  same downstream model, on labelled rows + the pool (the peer a user would
  pick instead); its preprocessing is fitted on labelled + pool rows;
* ``vae-labelled``: TabularVAE on the labelled rows only, 1:1 synthetic rows;
* ``vae-semi-unknown``: TabularVAE on labelled rows + the pool (marked -1 /
  None) with ``pseudo_labels=None`` (pool rows "label unknown"), 1:1;
* ``vae-semi-hard``: the same with ``pseudo_labels=THRESHOLD`` (hard labels);
* ``vae-semi``: the same at the default ``pseudo_labels="soft"``, 1:1;
* ``vae-semi-x``: as ``vae-semi``, as many synthetic rows as the pool;
* ``vae-semi-spread`` / ``vae-semi-spread-x``: as the two above with
  ``pseudo_labels="spread"`` (label spreading over a kNN graph of all rows);
* ``augclf-semi``: ``AugmentedClassifier(ratio="auto")`` with the pool and
  the ``vae-semi`` generator (downstream model fitted on labelled rows).

Writes one CSV row per dataset x k x seed x arm x model and splices the
"Unlabelled data (issue 4)" section into RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.preprocessing import LabelEncoder

from . import datasets as dsets
from .evaluate import MODELS, make_downstream, make_preprocessor, scores
from .machine import describe_machine

HERE = Path(__file__).resolve().parent
ARMS = ["none", "self-training", "vae-labelled", "vae-semi-unknown", "vae-semi-hard", "vae-semi",
        "vae-semi-x", "vae-semi-spread", "vae-semi-spread-x", "augclf-semi"]
GENERATORS = {"vae-labelled": None, "vae-semi-unknown": None, "vae-semi-hard": "threshold",
              "vae-semi": "soft", "vae-semi-x": "soft", "vae-semi-spread": "spread",
              "vae-semi-spread-x": "spread"}
BEGIN, END = "<!-- semi:start -->", "<!-- semi:end -->"


def split(ds, k: int, seed: int, n_pool: int):
    """Labelled, pool and test row indices (disjoint, covering every row)."""
    lab, rest = dsets.draw(ds.y, k, seed, ds.imbalanced)
    rng = np.random.default_rng([seed, 4])
    pool = np.sort(rng.choice(rest, size=min(n_pool, len(rest) // 2), replace=False))
    return lab, pool, np.setdiff1d(rest, pool)


def _marked(y_lab: np.ndarray, n_pool: int) -> np.ndarray:
    """Labels + the unlabelled marker: -1 for numbers, None for strings."""
    if y_lab.dtype.kind in "iu":
        return np.r_[y_lab, -np.ones(n_pool, dtype=y_lab.dtype)]
    return np.r_[y_lab.astype(object), np.full(n_pool, None, dtype=object)]


def _vae(args, pseudo_labels="soft", seed=0):
    from synthaug import TabularVAE

    return TabularVAE(epochs=args.epochs, pseudo_labels=pseudo_labels, device="cpu",
                      random_state=seed)


def _synthetic(gen, y_lab, factor: float):
    labels, counts = np.unique(y_lab, return_counts=True)
    want = {c: max(1, int(round(factor * n))) for c, n in zip(labels.tolist(), counts)}
    X_syn, y_syn = gen.sample(y=want)
    return X_syn, np.asarray(y_syn)


def run_cell(args, dataset: str, k: int, seed: int) -> list[dict]:
    import torch

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    from sklearn.semi_supervised import SelfTrainingClassifier

    from synthaug import AugmentedClassifier

    ds = dsets.load(dataset)
    lab, pool, te = split(ds, k, seed, args.unlabelled)
    X_lab, y_lab = ds.X.iloc[lab].reset_index(drop=True), ds.y[lab]
    X_pool = ds.X.iloc[pool].reset_index(drop=True)
    X_te, y_te = ds.X.iloc[te].reset_index(drop=True), ds.y[te]
    X_all = pd.concat([X_lab, X_pool], ignore_index=True)
    y_all = _marked(y_lab, len(pool))
    base = dict(dataset=dataset, k=k, seed=seed, n_labelled=len(lab), n_pool=len(pool),
                n_test=len(te))
    rows, gens = [], {}

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0

    def augmented(arm, model, fit_s, make):
        X_syn, y_syn = make()
        X_fit = pd.concat([X_lab, X_syn[list(X_lab.columns)]], ignore_index=True)
        est = make_downstream(model, ds).fit(X_fit, np.r_[y_lab, y_syn.astype(y_lab.dtype)])
        return dict(arm=arm, model=model, fit_s=fit_s, n_synthetic=len(y_syn),
                    **scores(est, X_te, y_te))

    for arm in args.arms:
        try:
            if arm in GENERATORS:
                key = {"vae-semi-x": "vae-semi",
                       "vae-semi-spread-x": "vae-semi-spread"}.get(arm, arm)
                if key not in gens:
                    mode = args.threshold if GENERATORS[key] == "threshold" else GENERATORS[key]
                    Xf, yf = (X_lab, y_lab) if key == "vae-labelled" else (X_all, y_all)
                    gens[key] = timed(lambda: _vae(args, mode, seed).fit(Xf, yf))
                gen, fit_s = gens[key]
                factor = len(pool) / len(lab) if arm.endswith("-x") else 1.0
                for model in args.models:
                    rows.append(augmented(arm, model, fit_s,
                                          lambda: _synthetic(gen, y_lab, factor)))
                continue
            for model in args.models:
                if arm == "none":
                    est, fit_s = timed(lambda: make_downstream(model, ds).fit(X_lab, y_lab))
                    rows.append(dict(arm=arm, model=model, fit_s=fit_s, n_synthetic=0,
                                     **scores(est, X_te, y_te)))
                elif arm == "self-training":
                    enc = LabelEncoder().fit(y_lab)
                    y_int = np.r_[enc.transform(y_lab), -np.ones(len(pool), int)]

                    def fit_st():
                        prep = make_preprocessor(ds).fit(X_all)
                        st = SelfTrainingClassifier(MODELS[model]()).fit(
                            prep.transform(X_all), y_int)
                        return prep, st
                    (prep, st), fit_s = timed(fit_st)
                    pred = enc.inverse_transform(st.predict(prep.transform(X_te)))

                    class _Fixed:  # scores() wants an estimator
                        def predict(self, X):
                            return pred
                    rows.append(dict(arm=arm, model=model, fit_s=fit_s, n_synthetic=0,
                                     **scores(_Fixed(), X_te, y_te)))
                elif arm == "augclf-semi":
                    clf = AugmentedClassifier(make_downstream(model, ds),
                                              _vae(args, "soft", seed), ratio="auto",
                                              random_state=seed)
                    _, fit_s = timed(lambda: clf.fit(X_all, y_all))
                    rows.append(dict(arm=arm, model=model, fit_s=fit_s,
                                     n_synthetic=clf.n_synthetic_, chosen_ratio=clf.ratio_,
                                     **scores(clf, X_te, y_te)))
                else:
                    raise ValueError(f"unknown arm {arm!r}")
        except Exception as exc:  # one broken arm must not end the run
            msg = f"error: {type(exc).__name__}: {exc}".replace("\n", " ")[:300]
            print(f"  {dataset} k={k} seed={seed} {arm}: {msg}", file=sys.stderr)
            rows += [dict(arm=arm, model=m, status=msg) for m in args.models]
    ref = {r["model"]: r for r in rows if r["arm"] == "none" and "accuracy" in r}
    for r in rows:
        r.update(base)
        r.setdefault("status", "ok")
        for m in ("accuracy", "macro_f1"):
            b = ref.get(r["model"])
            r[f"gain_{m}"] = r[m] - b[m] if b is not None and m in r else np.nan
    return rows


# ----------------------------------------------------------------- report
def render(df: pd.DataFrame, meta: dict) -> str:
    from .report import _fmt_gain, gain_ci

    ok = df[df.status == "ok"]
    arms = [a for a in ARMS if a in set(ok.arm) and a != "none"]
    lines = [
        "## Unlabelled data (issue 4)", "",
        f"- Command: `{meta['command']}`",
        f"- Date: {meta['started']}. Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} "
        f"cores, GPU: {meta.get('gpu', '?')}, torch {meta.get('versions', {}).get('torch', '?')}, "
        f"{meta['config']['jobs']} parallel cells. "
        f"Wall time: {meta.get('wall_s', '?')} s.",
        f"- Split: k labelled rows per class (stratified fraction for imbalanced data), a pool "
        f"of {meta['config']['unlabelled']} rows whose labels are hidden, every other row is "
        "the test set. TabularVAE: "
        f"{meta['config']['epochs']} epochs; `vae-semi-hard` uses "
        f"`pseudo_labels={meta['config']['threshold']}`, `vae-semi-unknown` `pseudo_labels=None`, "
        "the other semi arms the default `pseudo_labels=\"soft\"`. `self-training`: "
        "scikit-learn's `SelfTrainingClassifier` (defaults, threshold 0.75) around the same "
        "downstream model, its preprocessing fitted on labelled + pool rows. Arms are "
        "described in `benchmarks/semi.py`.",
        "- Cells: paired gain in accuracy points over `none` (labelled rows only), mean "
        "[95% t-interval] over seeds; bold when the interval excludes 0. Macro-F1 for "
        "the imbalanced datasets (credit_data, wa_churn) is in the CSV.",
        "",
        "| dataset | k | model | none acc | " + " | ".join(f"`{a}`" for a in arms) + " |",
        "|---|---:|---|---:|" + "---:|" * len(arms),
    ]
    for (d, k, m), sub in ok.groupby(["dataset", "k", "model"]):
        none = sub[sub.arm == "none"].accuracy.mean()
        cells = [_fmt_gain(sub[sub.arm == a].gain_accuracy) for a in arms]
        lines.append(f"| {d} | {k} | {m} | {none:.3f} | " + " | ".join(cells) + " |")
    lines += ["", "Mean gain over every cell (accuracy points, 95% t-interval over all "
              "dataset x k x model x seed pairs):", ""]
    imb = ok[ok.dataset.isin([d for d in ok.dataset.unique() if dsets.load(d).imbalanced])]
    means = {}
    for a in arms:
        mean, lo, hi = (100 * v for v in gain_ci(ok[ok.arm == a].gain_accuracy))
        means[a] = mean
        f1 = ""
        if len(imb):
            m2, lo2, hi2 = (100 * v for v in gain_ci(imb[imb.arm == a].gain_macro_f1))
            f1 = f"; macro-F1 on the imbalanced datasets {m2:+.1f} [{lo2:+.1f}, {hi2:+.1f}]"
        lines.append(f"- `{a}`: {mean:+.1f} [{lo:+.1f}, {hi:+.1f}]{f1}")
    ours = [a for a in arms if a != "self-training" and a != "vae-labelled"]
    if ours and "self-training" in means:
        best = max(ours, key=means.get)
        met = means[best] >= 3.0 and means[best] >= means["self-training"]
        lines += ["", f"Target of issue 4 (mean gain >= +3 points over labelled-only and >= "
                  f"self-training's, in the same run): best synthaug arm `{best}` "
                  f"{means[best]:+.1f} vs `self-training` {means['self-training']:+.1f}: "
                  f"**{'met' if met else 'not met'}**."]
    return "\n".join(lines)


def splice(md: Path, section: str) -> None:
    text = md.read_text() if md.exists() else "# synthaug benchmark results\n"
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    md.write_text(text)


# -------------------------------------------------------------------- cli
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m benchmarks.semi", description=__doc__.split("\n")[0])
    p.add_argument("--unlabelled", type=int, default=500, help="rows in the unlabelled pool")
    p.add_argument("--datasets", nargs="+", default=["digits", "credit_data", "wa_churn"],
                   choices=sorted(dsets.LOADERS))
    p.add_argument("--ks", nargs="+", type=int, default=[5, 10])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS)
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=sorted(MODELS))
    p.add_argument("--epochs", type=int, default=100, help="TabularVAE epochs")
    p.add_argument("--threshold", type=float, default=0.75, help="pseudo_labels of the vae-semi-hard arm")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--name", default="semi")
    p.add_argument("--out", type=Path, default=HERE / "results")
    p.add_argument("--results-md", type=Path, default=HERE / "RESULTS.md")
    p.add_argument("--no-report", action="store_true")
    args = p.parse_args(argv)
    if "none" not in args.arms:
        args.arms = ["none", *args.arms]
    cells = [(d, k, s) for d in args.datasets for k in args.ks for s in range(args.seeds)]
    args.out.mkdir(parents=True, exist_ok=True)
    csv = args.out / f"{args.name}.csv"
    meta = dict(command=" ".join(["python -m benchmarks.semi", *argv]),
                started=time.strftime("%Y-%m-%d %H:%M %Z"),
                config={k: v for k, v in vars(args).items() if k not in ("out", "results_md")},
                **describe_machine())
    rows, t0 = [], time.perf_counter()
    ctx = get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=ctx) as pool:
        futs = {pool.submit(run_cell, args, *c): c for c in cells}
        for i, fut in enumerate(as_completed(futs), 1):
            rows += fut.result()
            pd.DataFrame(rows).to_csv(csv, index=False)
            print(f"[{i}/{len(cells)}] {futs[fut]} {time.perf_counter() - t0:.0f}s", flush=True)
    meta["wall_s"] = round(time.perf_counter() - t0)
    csv.with_suffix(".json").write_text(json.dumps(meta, indent=2, default=str))
    df = pd.read_csv(csv)
    section = render(df, meta)
    print(section)
    if not args.no_report:
        splice(args.results_md, section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
