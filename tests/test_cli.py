"""The command line: fit -> sample round trip, one-line errors, the demo."""
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import synthaug
from synthaug.cli import main
from synthaug.demo import run_demo


@pytest.fixture()
def csv_file(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    frame = pd.DataFrame({
        "size": rng.normal(10, 2, n),
        "count": rng.integers(0, 5, n),
        "colour": rng.choice(["red", "blue"], n),
        "kind": np.repeat(["cat", "dog"], n // 2),
    })
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_fit_then_sample_by_label(csv_file, tmp_path, capsys):
    model = tmp_path / "m.synthaug"
    assert main(["fit", str(csv_file), "--target", "kind", "-o", str(model),
                 "--epochs", "3", "-q"]) == 0
    est = synthaug.load(model)
    assert est.classes_.tolist() == ["cat", "dog"]
    out = tmp_path / "syn.csv"
    assert main(["sample", str(model), "-n", "7", "-o", str(out), "--label", "dog"]) == 0
    syn = pd.read_csv(out)
    assert len(syn) == 7
    assert list(syn.columns) == ["size", "count", "colour", "kind"]
    assert set(syn["kind"]) == {"dog"}
    assert set(syn["colour"]) <= {"red", "blue"}
    assert "wrote 7 synthetic rows" in capsys.readouterr().out


def test_fit_without_target_is_unconditional(csv_file, tmp_path):
    model = tmp_path / "m.synthaug"
    assert main(["fit", str(csv_file), "-o", str(model), "--epochs", "2", "-q"]) == 0
    out = tmp_path / "syn.csv"
    assert main(["sample", str(model), "-n", "5", "-o", str(out)]) == 0
    assert list(pd.read_csv(out).columns) == ["size", "count", "colour", "kind"]
    assert main(["sample", str(model), "-n", "5", "-o", str(out), "--label", "cat"]) == 2


@pytest.mark.parametrize("argv, message", [
    (["fit", "missing.csv", "--target", "kind", "-o", "m"], "does not exist"),
    (["fit", "{csv}", "--target", "nope", "-o", "{tmp}/m"], "--target column 'nope'"),
    (["sample", "{tmp}/corrupt.model", "-n", "3", "-o", "{tmp}/o.csv"], "not a synthaug model"),
    (["sample", "{tmp}/missing.model", "-n", "3", "-o", "{tmp}/o.csv"], "does not exist"),
])
def test_errors_are_one_line_without_traceback(argv, message, csv_file, tmp_path, capsys):
    (tmp_path / "corrupt.model").write_bytes(b"\x00garbage")
    argv = [a.format(csv=csv_file, tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("synthaug: error:") and message in err
    assert "\n" not in err and "Traceback" not in err


def test_unknown_label_and_bad_count(csv_file, tmp_path, capsys):
    model = tmp_path / "m.synthaug"
    main(["fit", str(csv_file), "--target", "kind", "-o", str(model), "--epochs", "2", "-q"])
    capsys.readouterr()
    assert main(["sample", str(model), "-n", "3", "-o", str(tmp_path / "o.csv"),
                 "--label", "cow"]) == 2
    assert "not a class of this model" in capsys.readouterr().err
    assert main(["sample", str(model), "-n", "0", "-o", str(tmp_path / "o.csv")]) == 2
    assert "n_samples" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.slow
def test_console_script_entry_point(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "synthaug.cli", "sample", str(tmp_path / "none"), "-n", "1",
         "-o", str(tmp_path / "o.csv")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("synthaug: error:") and "Traceback" not in proc.stderr


def test_demo_prints_without_with_and_twice_the_real_data(capsys):
    result = run_demo("iris", k=5, seeds=2, epochs=5)
    out = capsys.readouterr().out
    assert "without" in out and "2x real" in out and "paired gain" in out
    assert len(result["accuracy_with"]) == len(result["accuracy_2x_real"]) == 2
    assert all(0.0 <= a <= 1.0 for a in result["accuracy_with"])
    diffs = np.subtract(result["accuracy_with"], result["accuracy_without"]) * 100
    assert result["gain_mean"] == pytest.approx(diffs.mean())
    ceiling = np.subtract(result["accuracy_2x_real"], result["accuracy_without"]) * 100
    assert result["ceiling_mean"] == pytest.approx(ceiling.mean())


def test_demo_draws_keep_the_ceiling_rows_out_of_training_and_test():
    from synthaug.demo import draw_per_class

    y = np.repeat([0, 1, 2], 30)
    train, more, test = draw_per_class(y, 5, seed=0, extra=5)
    assert np.bincount(y[train]).tolist() == np.bincount(y[more]).tolist() == [5, 5, 5]
    assert not set(train) & set(more) and not set(test) & (set(train) | set(more))
    assert len(train) + len(more) + len(test) == len(y)


def test_demo_rejects_bad_k(capsys):
    assert main(["demo", "--k", "1"]) == 2
    assert "k must be" in capsys.readouterr().err
