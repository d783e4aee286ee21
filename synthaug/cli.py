"""Command line: ``synthaug fit | sample | demo``.

Errors print one line (``synthaug: error: ...``) and exit with status 2;
never a traceback for a user mistake such as a missing file or column.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core.files import atomic_open

MODELS = {"tabular-gan": "TabularGAN", "tabular-vae": "TabularVAE"}


class CLIError(Exception):
    """A user-facing error: printed as one line."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="synthaug", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    fit = sub.add_parser("fit", help="fit a generator on a CSV file and save it")
    fit.add_argument("data", help="CSV file with a header row")
    fit.add_argument("--target", help="label column (omit for an unconditional model)")
    fit.add_argument("--model", default="tabular-vae", choices=sorted(MODELS))
    fit.add_argument("--epochs", type=int, default=300)
    fit.add_argument("--seed", type=int, default=0, help="random_state (default 0)")
    fit.add_argument("-o", "--output", required=True, help="model file to write")
    fit.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    sample = sub.add_parser("sample", help="draw synthetic rows from a saved model")
    sample.add_argument("model", help="model file written by `synthaug fit`")
    sample.add_argument("-n", "--n-samples", type=int, required=True)
    sample.add_argument("-o", "--output", required=True, help="CSV file to write")
    sample.add_argument("--label", help="draw only rows of this class")
    sample.add_argument("--seed", type=int, default=None, help="default: the model's")

    demo = sub.add_parser("demo", help="show the accuracy gain on a built-in dataset")
    demo.add_argument("--mode", default="tabular", choices=["tabular", "image"],
                      help="image: ImageVAE on 8x8 digits, saving a sample grid")
    demo.add_argument("--dataset", default=None, choices=["wine", "breast_cancer", "iris"],
                      help="tabular mode only (default: wine)")
    demo.add_argument("--k", type=int, default=10, help="labelled rows per class")
    demo.add_argument("--seeds", type=int, default=5)
    demo.add_argument("--output", default="synthaug_digits.png",
                      help="image mode: the sample grid PNG to write")
    return p


def _read_csv(path: str):
    import pandas as pd

    if not Path(path).is_file():
        raise CLIError(f"data file {path!r} does not exist")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise CLIError(f"cannot read {path!r} as CSV: {err}") from None


def _fit(args) -> None:
    import synthaug

    frame = _read_csv(args.data)
    y = None
    if args.target is not None:
        if args.target not in frame.columns:
            raise CLIError(
                f"--target column {args.target!r} is not in {args.data!r} "
                f"(columns: {', '.join(map(str, frame.columns))})"
            )
        y = frame.pop(args.target)
    model_cls = getattr(synthaug, MODELS[args.model])
    est = model_cls(epochs=args.epochs, random_state=args.seed, verbose=not args.quiet)
    est.fit(frame, y)
    est.save(args.output)
    print(f"saved {MODELS[args.model]} fitted on {len(frame)} rows to {args.output}")


def _label_value(est, text: str):
    if not getattr(est, "conditional_", False):
        raise CLIError("--label given but the model was fitted without --target")
    for c in est.classes_.tolist():
        if str(c) == text:
            return c
    raise CLIError(f"--label {text!r} is not a class of this model (classes: "
                   f"{', '.join(map(str, est.classes_.tolist()))})")


def _sample(args) -> None:
    import pandas as pd
    import synthaug
    from synthaug.core.files import label_column

    try:
        est = synthaug.load(args.model)
    except FileNotFoundError as err:
        raise CLIError(str(err)) from None
    label = None if args.label is None else _label_value(est, args.label)
    rs = {} if args.seed is None else {"random_state": args.seed}
    if est.conditional_:
        X, y = est.sample(args.n_samples, label, **rs)
        frame = pd.DataFrame(X).copy()
        frame[label_column(est, frame.columns)] = y
    else:
        frame = pd.DataFrame(est.sample(args.n_samples, **rs))
    _write_csv_atomically(frame, args.output)
    print(f"wrote {len(frame)} synthetic rows to {args.output}")


def _write_csv_atomically(frame, path: str) -> None:
    target = Path(path)
    if not target.parent.is_dir():
        raise CLIError(f"output folder {str(target.parent)!r} does not exist")
    with atomic_open(target, "w", newline="") as fh:
        frame.to_csv(fh, index=False)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "fit":
            _fit(args)
        elif args.command == "sample":
            _sample(args)
        elif args.mode == "image":
            if args.dataset is not None:
                raise CLIError("--dataset is for --mode tabular; the image demo uses digits")
            from .demo_image import run_image_demo

            run_image_demo(k=args.k, seeds=args.seeds, output=args.output)
        else:
            from .demo import run_demo

            run_demo(args.dataset or "wine", k=args.k, seeds=args.seeds)
    except (CLIError, ValueError, TypeError, OSError, FloatingPointError) as err:
        print(f"synthaug: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("synthaug: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
