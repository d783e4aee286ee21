"""``python -m benchmarks tabular-pays``: combining runs and checking issue 4's targets."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from benchmarks.tabular import pays


def _run(path: Path, name: str, gains: dict, suffix: str = ".csv"):
    """A fake run on dataset 'toy' (balanced): arm -> per-seed gains in points."""
    rows = []
    for model in ("logreg", "rf"):
        for seed in range(3):
            rows.append(dict(dataset="toy", k=5, seed=seed, model=model, arm="none",
                             accuracy=0.8, macro_f1=0.8, gain_accuracy=0.0,
                             gain_macro_f1=0.0, status="ok"))
            for arm, g in gains.items():
                rows.append(dict(dataset="toy", k=5, seed=seed, model=model, arm=arm,
                                 accuracy=0.8 + g[seed] / 100, macro_f1=0.8,
                                 gain_accuracy=g[seed] / 100, gain_macro_f1=0.0,
                                 status="ok"))
    pd.DataFrame(rows).to_csv(path / f"{name}{suffix}", index=False)
    (path / f"{name}.json").write_text(json.dumps({"command": f"cmd {name}"}))


def test_later_run_replaces_arm_and_targets_are_checked(tmp_path):
    # one run compressed (as committed), one plain: both are read
    _run(tmp_path, "old", {"augmented-classifier": [-3, -2, -1], "smote": [1, 2, 3]}, ".csv.gz")
    _run(tmp_path, "new", {"augmented-classifier": [0, 0, -0.3]})
    df, metas = pays.combine(["old", "new"], tmp_path)
    ac = df[df.arm == "augmented-classifier"]
    assert len(ac) == 6 and ac.gain.min() > -0.5  # the old rows are gone
    assert (df.arm == "none").sum() == 6  # one baseline
    assert [m["command"] for m in metas] == ["cmd old", "cmd new"]
    text = pays.render(df, metas)
    assert "`augmented-classifier` (a default): every cell >= -0.5: **met**" in text
    point2 = next(line for line in text.splitlines() if line.startswith("- Point 2"))
    # mean +2 but 3 seeds of 1, 2, 3 give an interval across 0: not "held"
    assert "best arm `smote` +2.00 over 2 cells" in point2 and point2.endswith("**not met**.")


def test_main_splices_its_block_once(tmp_path):
    _run(tmp_path, "old", {"smote": [1, 2, 3]})
    md = tmp_path / "R.md"
    md.write_text("# head\n\nkept\n")
    assert pays.main(["old", "--results", str(tmp_path), "--results-md", str(md)]) == 0
    out = md.read_text()
    assert out.startswith("# head\n\nkept\n") and out.count(pays.MARKERS.begin) == 1
    pays.main(["old", "--results", str(tmp_path), "--results-md", str(md)])
    assert md.read_text().count(pays.MARKERS.begin) == 1  # replaced, not appended again
    # without --results-md the block goes to the tabular page in --results
    pays.main(["old", "--results", str(tmp_path)])
    assert pays.MARKERS.end in (tmp_path / "tabular.md").read_text()
