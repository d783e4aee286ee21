"""TextLM's training loop: packed next-token batches, AdamW, warm-up + cosine."""
from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
from tqdm.auto import tqdm

IGNORE = -100  # target of a padding position (cross_entropy's ignore_index)


def pack(seqs, prefix: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    """``[prefix, tokens...]`` rows right-padded with IGNORE, and row lengths."""
    lengths = np.array([len(s) + 1 for s in seqs], dtype=np.int64)
    data = np.full((len(seqs), lengths.max()), IGNORE, dtype=np.int64)
    data[:, 0] = prefix
    for i, s in enumerate(seqs):
        data[i, 1 : lengths[i]] = s
    return torch.from_numpy(data), lengths


def lr_factor(step: int, total: int) -> float:
    """Linear warm-up over the first 10% of steps (at most 100), cosine decay
    to a tenth of the peak: the usual schedule for small transformers."""
    warm = max(1, min(100, total // 10))
    if step < warm:
        return (step + 1) / warm
    progress = (step - warm) / max(1, total - warm)
    return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress))


def _param_groups(net: torch.nn.Module, weight_decay: float) -> list[dict]:
    # decay matrices only: decaying LayerNorm gains and biases only hurts
    params = [p for p in net.parameters() if p.requires_grad]
    return [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]


def _loss_fn(est):
    if est.pretrained:
        from ._hf import hf_loss

        return hf_loss(est.net_)
    return est.net_.loss


def split_validation(groups: np.ndarray, fraction, seed: int):
    """Rows to train on and rows held out, stratified by ``groups`` (the
    prefix ids, i.e. the classes): ``fraction`` of each class rounded, but
    every class keeps at least one training row."""
    rows = np.arange(len(groups))
    if not fraction:
        return rows, rows[:0]
    rng = np.random.RandomState(seed % 2**32)
    held = []
    for g in np.unique(groups):
        members = rows[groups == g]
        m = min(len(members) - 1, int(fraction * len(members) + 0.5))
        held.append(rng.choice(members, m, replace=False) if m > 0 else members[:0])
    held = np.sort(np.concatenate(held))
    return np.setdiff1d(rows, held), held


def train(est, seqs, prefix: np.ndarray, seed: int) -> dict:
    """Train ``est.net_`` on ``seqs`` (token arrays) after their ``prefix`` ids.

    With ``est.validation_fraction``, that share of texts is held out; their
    loss is measured every ``max(1 epoch, 10 steps)``, training stops after
    ``est.n_iter_no_change`` measurements without improvement, and the
    weights with the lowest held-out loss are kept: on a few dozen texts a
    language model soon starts to memorise, and then only copies come back.

    Returns the history: per-epoch mean training ``loss``, ``val_loss`` per
    measurement, the ``steps`` taken and the ``best_step`` kept.
    """
    run = _Run(est, seqs, prefix, seed)
    history = {"loss": [], "val_loss": [], "steps": 0, "best_step": 0}
    best, stale, last_eval, kept = math.inf, 0, 0, None
    bar = tqdm(total=run.total, disable=not est.verbose, desc="TextLM", unit="step")
    run.net.train()
    with _rng_scope(est, seed), bar:
        while run.step < run.total and stale < est.n_iter_no_change:
            done = run.step
            history["loss"].append(run.epoch())
            bar.update(run.step - done)
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}")
            if len(run.held) and (run.step - last_eval >= run.every or run.step == run.total):
                last_eval = run.step
                history["val_loss"].append(run.held_out_loss())
                if history["val_loss"][-1] < best:
                    best, stale, history["best_step"] = history["val_loss"][-1], 0, run.step
                    kept = {k: v.detach().clone() for k, v in run.net.state_dict().items()}
                else:
                    stale += 1
    history["steps"] = run.step
    if kept is not None:
        run.net.load_state_dict(kept)
    else:
        history["best_step"] = run.step
    return history


class _Run:
    """The state of one training run: data on the device, optimiser, RNGs."""

    def __init__(self, est, seqs, prefix, seed):
        self.est, self.net, dev = est, est.net_, est.device_
        data, self.lengths = pack(seqs, prefix)
        self.data = data.to(dev)
        self.rows, self.held = split_validation(prefix, est.validation_fraction, seed)
        self.bs = min(est.batch_size, len(self.rows))
        per_epoch = math.ceil(len(self.rows) / self.bs)
        self.total = (est.max_steps if est.epochs is None
                      else min(est.max_steps, est.epochs * per_epoch))
        self.every = max(per_epoch, 10)
        self.opt = torch.optim.AdamW(_param_groups(self.net, est.weight_decay),
                                     lr=est.learning_rate)
        self.order_gen = torch.Generator().manual_seed(seed)  # batch order: any device alike
        self.noise_gen = torch.Generator(device=dev).manual_seed(seed)  # dropout
        self.loss_fn = _loss_fn(est)
        self.autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda"
                         else contextlib.nullcontext())
        self.step = 0

    def _batch(self, rows):
        # trim the padding past the longest text of the batch
        batch = self.data[torch.as_tensor(rows, device=self.data.device),
                          : int(self.lengths[rows].max())]
        return batch[:, :-1].clamp_min(0), batch[:, 1:]

    def epoch(self) -> float:
        """One pass over the training rows (cut at the step budget); mean loss."""
        order = self.rows[torch.randperm(len(self.rows), generator=self.order_gen).numpy()]
        batches = [order[i : i + self.bs] for i in range(0, len(order), self.bs)]
        batches = batches[: self.total - self.step]
        sums = torch.zeros((), device=self.data.device)
        for rows in batches:
            for group in self.opt.param_groups:
                group["lr"] = self.est.learning_rate * lr_factor(self.step, self.total)
            with self.autocast:
                loss = self.loss_fn(*self._batch(rows), self.noise_gen)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
            self.opt.step()
            sums += loss.detach()
            self.step += 1
        return _finite(float(sums) / len(batches))  # one host sync per epoch

    @torch.no_grad()
    def held_out_loss(self) -> float:
        """Token-weighted mean loss of the held-out texts."""
        self.net.eval()
        total, tokens = 0.0, 0
        for start in range(0, len(self.held), self.bs):
            rows = self.held[start : start + self.bs]
            n_tok = int(self.lengths[rows].sum()) - len(rows)
            with self.autocast:
                total += float(self.loss_fn(*self._batch(rows), None)) * n_tok
            tokens += n_tok
        self.net.train()
        return _finite(total / max(tokens, 1))


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise FloatingPointError("TextLM training diverged (non-finite loss); lower learning_rate.")
    return value


def _rng_scope(est, seed: int):
    """A Hugging Face model draws dropout from torch's global RNG: seed it
    inside a fork so fitting stays reproducible and leaves the caller's
    global state as it was. The native net never touches the global RNG."""
    if not est.pretrained:
        return contextlib.nullcontext()
    from ._hf import seeded_global_rng

    return seeded_global_rng(seed, est.device_)
