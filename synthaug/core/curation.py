"""Curation: over-generate, keep the samples a curator judges best.

A curator (the text quality filter today) scores generated samples; this
module runs the rounds. It asks for ``overgenerate`` samples per sample
wanted, keeps the best the curator accepts for each class, and asks again
for what is still missing (up to four rounds, each drawing more per missing
sample where few passed), so a class whose samples mostly fail is not left
short by ever smaller rounds, while a model that only copies cannot make a
call run away.

A curator has ``select(encoded, labels, missing, state, settings) ->
(kept positions, {reason: dropped count})``: positions best first within
each class, at most ``missing[c]`` of class ``c``; ``state`` is a dict it
keeps across the rounds of one unit (for example the texts already seen).
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

ROUNDS = 4


def curate(draw, curator, idx: np.ndarray, n_classes: int, settings: dict, report: dict):
    """Samples for the class indices ``idx``, curated.

    ``draw(labels, round) -> encoded tensor`` generates one sample per label.
    Returns ``(encoded, kept class indices)`` in the order of ``idx``; a
    class that stays short leaves out its last requested samples (with a
    warning naming the counts).
    """
    overgenerate = float(settings["overgenerate"])
    quota = np.bincount(idx, minlength=n_classes)
    kept = [[] for _ in range(n_classes)]  # encoded rows kept, per class
    drawn = np.zeros(n_classes)
    state: dict = {}
    for r in range(ROUNDS):
        n_kept = np.array([sum(len(k) for k in rows) for rows in kept])
        missing = quota - n_kept
        if missing.sum() == 0:
            break
        rate = np.where(drawn > 0, n_kept / np.maximum(drawn, 1), 1.0)
        factor = np.clip(1.2 / np.maximum(rate, 1e-3), overgenerate, 3 * overgenerate)
        per_class = np.ceil(missing * factor).astype(int)
        labels = np.repeat(np.arange(n_classes), per_class)
        drawn += per_class
        encoded = draw(labels, r)
        report["generated"] += len(labels)
        keep, dropped = curator.select(encoded, labels, missing, state, settings)
        for c in range(n_classes):
            mine = keep[labels[keep] == c]
            if len(mine):
                kept[c].append(encoded[torch.as_tensor(mine, device=encoded.device)])
        for reason, count in dropped.items():
            report[f"dropped_{reason}"] = report.get(f"dropped_{reason}", 0) + count
        report["rounds"] = report.get("rounds", 0) + 1
    return _in_request_order(kept, idx, report, curator, empty=encoded[:0])


def _in_request_order(kept: list, idx: np.ndarray, report: dict, curator, empty):
    """Hand the kept samples out in the order of the requested labels."""
    pools = [torch.cat(rows) if rows else None for rows in kept]
    used = [0] * len(kept)
    order, rows = [], []
    for i, c in enumerate(idx.tolist()):
        if pools[c] is not None and used[c] < len(pools[c]):
            rows.append(pools[c][used[c]])
            used[c] += 1
            order.append(i)
    if len(order) < len(idx):
        warnings.warn(
            f"curation kept {len(order)} of the {len(idx)} samples requested after "
            f"{report.get('rounds', 0)} rounds; {curator.shortfall_hint}",
            UserWarning, stacklevel=4,
        )
    if not rows:
        return empty, idx[:0]
    return torch.stack(rows), idx[np.asarray(order, dtype=np.int64)]
