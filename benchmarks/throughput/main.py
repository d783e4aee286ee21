"""``python -m benchmarks throughput``: sampling speed, peak memory and fit cost.

Three parts, timed one after the other (``--parts``, default all):

* ``tabular``: TabularVAE / TabularGAN ``sample`` against the bare network,
  decoding alone and ctgan's ``CTGAN.sample`` (:mod:`.tabular`); peak memory
  of ``sample_to_file`` (:mod:`.memory`); fit cost against CTGAN
  (:mod:`.fitcost`). Page block: ``results/throughput.md``.
* ``images``: images/s of ImageVAE / ImageGAN and a DataLoader
  (:mod:`.images`). Shown on ``results/images.md``.
* ``text``: TextLM tokens/s with and without the KV cache (:mod:`.text`).
  Shown on ``results/text.md``.

::

    python -m benchmarks throughput --parts tabular   # ~3-4 minutes on 2 CPU cores
    python -m benchmarks throughput --quick           # every part, tiny sizes

Writes ``results/throughput_<part>.csv.gz`` (+ ``.json`` with command, date,
machine) and regenerates the pages that show them (a ``--quick`` run writes
``*_quick`` files and a page of its own).
"""
from __future__ import annotations

import warnings
from pathlib import Path

from ..common import cli
from ..common.files import csv_path, find_csv, stem
from ..common.pages import write_section
from ..common.stamp import command_line
from .config import PARTS, QUICK, Config

EXPERIMENT = "throughput"


def parse_args(argv=None):
    p = cli.experiment_parser(
        EXPERIMENT, "Sampling speed, peak memory and fit cost.",
        "every part at tiny sizes: a smoke run in about a minute", threads_default=None,
        threads_help="torch's own for the tabular part, 1 for images and text")
    p.add_argument("--parts", nargs="+", choices=PARTS, help="what to measure (default all)")
    p.add_argument("--dataset", help="tabular: benchmarks.tabular.datasets name (default penguins)")
    p.add_argument("--fit-seeds", dest="seeds", type=int,
                   help="tabular: draws for the fit comparison (same as --seeds)")
    p.add_argument("--load-note", help="tabular: a sentence on machine load for the page")
    p.add_argument("--md", dest="results_md", type=Path, help="same as --results-md")
    p.add_argument("--batches", type=int, nargs="+", help="text: batch sizes")
    p.add_argument("--length", type=int, help="text: tokens generated per text")
    p.add_argument("--write-md", action="store_true",
                   help="kept for old command lines: every full run writes its pages")
    return p.parse_args(argv)


def outputs(args, cfg: Config) -> tuple[Path, dict]:
    """The results folder and each part's CSV. ``--out`` may name the tabular
    part's CSV (``x.csv[.gz]``, as the old command did); the other parts'
    files go next to it."""
    out, tabular_csv = Path(args.out), None
    if out.name.endswith((".csv", ".csv.gz")):
        tabular_csv, out = out, out.parent
    suffix = "_quick" if cfg.quick and not args.name else ""  # the old quick file names
    csvs = {p: csv_path(out, f"{args.name or 'throughput'}_{p}{suffix}") for p in PARTS}
    if tabular_csv is not None:
        csvs["tabular"] = tabular_csv
    return out, csvs


def run_name(args, cfg: Config) -> str:
    """``throughput`` (``throughput_quick`` for --quick) unless --name says otherwise."""
    return args.name or ("throughput_quick" if cfg.quick else "throughput")


def write_pages(parts, out: Path, csvs: dict, page: Path | None = None) -> list[Path]:
    """Regenerate the block of every page that shows one of ``parts``; with
    ``page``, one block on that page with every part instead."""
    from ..images.main import write_page as images_page
    from ..text.main import write_page as text_page
    from .render import MARKERS, images_lines, load_run, render, text_lines

    if page is not None:
        text = [render(*load_run(csvs["tabular"]))] if "tabular" in parts else []
        text += images_lines(out, stem(csvs["images"])) if "images" in parts else []
        text += text_lines(out, stem(csvs["text"])) if "text" in parts else []
        return [write_section(page, "\n".join(text), MARKERS)]
    pages = []
    if "tabular" in parts:
        section = render(*load_run(csvs["tabular"]))
        pages.append(write_section(out / "throughput.md", section, MARKERS))
    if "images" in parts:
        pages.append(images_page(out, out / "images.md"))
    if "text" in parts:
        pages.append(text_page(out, out / "text.md"))
    return pages


def execute(args, argv: list) -> int:
    """Run the throughput parts (or only regenerate their pages)."""
    if args.jobs > 1:
        raise SystemExit("throughput measures timings: parts run one at a time (--jobs 1).")
    cfg = cli.build_config(Config, QUICK, args)
    out, csvs = outputs(args, cfg)
    # a quick run (or --results-md) gets one page of its own with every part
    page = args.results_md or (out / f"{run_name(args, cfg)}.md" if cfg.quick else None)
    if args.report_only:  # the files already there, compressed or not; pages only
        csvs = {p: find_csv(c.parent, stem(c)) for p, c in csvs.items() if p in cfg.parts}
        for written in write_pages(cfg.parts, out, csvs, page):
            print(f"report: {written}")
        return 0
    from .cell import run_cell

    out.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings("ignore")  # convergence chatter from sklearn and ctgan
    log = lambda *a: print(*a, flush=True)  # noqa: E731
    for part in cfg.parts:
        log(f"== {part}")
        meta = run_cell(cfg, part, csvs[part], command_line(EXPERIMENT, argv), log)
        log(f"wrote {csvs[part]} ({meta['wall_s']} s)")
    if not args.no_report:
        for written in write_pages(cfg.parts, out, csvs, page):
            log(f"report: {written}")
    return 0


main = cli.entry_point(EXPERIMENT, parse_args, execute)
