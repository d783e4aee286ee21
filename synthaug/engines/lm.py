"""The language-model engine: a small causal transformer trained from
scratch on the texts' token ids, each text after a token of its label.

Training packs next-token batches, uses AdamW with linear warm-up and cosine
decay, and (with ``validation_fraction``) holds out a share of each class's
texts to stop when their loss stops improving, keeping the best weights: on
a few dozen texts a language model soon memorises them, and then it only
writes copies. :mod:`synthaug.engines.lm_hf` fine-tunes a pretrained model
with the same loop.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
from tqdm.auto import tqdm

from ..nets.transformer import CausalTransformer, generate
from .base import Engine, TrainingSet, load_module_arrays, module_arrays
from .training import check_finite, seeded_init

IGNORE = -100  # target of a padding position (cross_entropy's ignore_index)


class LMEngine(Engine):
    """Native causal language model (see the module docstring).

    History keys: ``loss`` (per-epoch mean training loss), ``val_loss``
    (per held-out measurement), ``steps`` (gradient steps taken) and
    ``best_step`` (whose weights were kept).
    """

    def __init__(self, *, width: int, n_layers: int, n_heads: int, dropout: float,
                 context_length: int, max_steps: int, epochs, validation_fraction,
                 n_iter_no_change: int, batch_size: int, learning_rate: float,
                 weight_decay: float):
        self.width, self.n_layers, self.n_heads, self.dropout = width, n_layers, n_heads, dropout
        self.context_length, self.max_steps, self.epochs = context_length, max_steps, epochs
        self.validation_fraction, self.n_iter_no_change = validation_fraction, n_iter_no_change
        self.batch_size, self.learning_rate = batch_size, learning_rate
        self.weight_decay = weight_decay

    # ------------------------------------------------------------- the net
    def _build(self, layout, n_classes: int, seed: int, device) -> None:
        """The net, and one token id per class after the tokenizer's ids."""
        self.label_ids = np.arange(layout.n_tokens, layout.n_tokens + n_classes)
        self.net = seeded_init(seed, lambda: CausalTransformer(
            layout.n_tokens + n_classes, self.context_length, self.width, self.n_layers,
            self.n_heads, self.dropout)).to(device)

    def _loss_fn(self):
        return self.net.loss

    def _rng_scope(self, seed: int, device):
        return contextlib.nullcontext()  # the native net never reads torch's global RNG

    def _prefix(self, y_idx, n: int) -> np.ndarray:
        """The first token of each sequence: its label's token, or a start token."""
        if y_idx is not None and len(self.label_ids):
            return self.label_ids[np.asarray(y_idx)]
        return np.full(n, self.layout.bos_id, dtype=np.int64)

    # ----------------------------------------------------------------- fit
    def fit(self, data: TrainingSet, seed: int, device, desc: str, verbose: bool) -> dict:
        self.layout = data.layout
        self._build(data.layout, data.n_classes, seed, device)
        history = train(self, data.M, self._prefix(data.y_idx, len(data.M)), seed, device,
                        desc, verbose)
        self.net.eval()
        return history

    # -------------------------------------------------------------- sample
    def rows_per_call(self, device) -> int:
        return 1024  # texts per generation batch: bounds the KV cache

    def sample(self, y, noise, condition, temperature: float, options: dict) -> torch.Tensor:
        """``(n, max_length)`` token ids, the end token from each text's end on."""
        first = torch.as_tensor(self._prefix(None if y is None else y.cpu().numpy(), noise.n),
                                device=noise.device)
        step, state, select = self._stepper(len(first), options["max_length"])
        return generate(step, state, first, eos_id=self.layout.eos_id,
                        generator=noise.generator(), select=select, temperature=temperature,
                        top_p=options["top_p"], max_new=options["max_length"])

    def _stepper(self, batch: int, length: int):
        """``generate``'s step (logits over the ids that may be drawn), its
        state and how to drop finished rows from it."""
        net, eos = self.net, self.layout.eos_id
        unseen = torch.as_tensor(~self.layout.allowed, device=next(net.parameters()).device)

        def step(tokens, cache):
            return net.step(tokens, cache)[:, : eos + 1].masked_fill(unseen, -torch.inf), cache

        return step, net.new_cache(batch, length), lambda cache, rows: cache.select(rows)

    # --------------------------------------------------------------- state
    def state(self) -> tuple[dict, dict]:
        return {"label_ids": self.label_ids.tolist()}, module_arrays("net", self.net)

    def restore(self, config: dict, arrays: dict, layout, n_classes: int, device) -> None:
        self.layout = layout
        self._build(layout, n_classes, 0, torch.device("cpu"))
        self._check_labels(config)
        load_module_arrays("net", self.net, arrays)
        self.net = self.net.to(device).eval()

    def _check_labels(self, config: dict) -> None:
        if np.asarray(config["label_ids"], dtype=np.int64).tolist() != self.label_ids.tolist():
            raise ValueError("the label tokens in the model file do not match its vocabulary")


# ---------------------------------------------------------------- training
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


def train(engine: LMEngine, seqs, prefix: np.ndarray, seed: int, device, desc: str,
          verbose: bool) -> dict:
    """Train ``engine.net`` on ``seqs`` (token arrays) after their ``prefix`` ids.

    With ``validation_fraction``, that share of texts is held out; their
    loss is measured every ``max(1 epoch, 10 steps)``, training stops after
    ``n_iter_no_change`` measurements without improvement, and the weights
    with the lowest held-out loss are kept.
    """
    run = _Run(engine, seqs, prefix, seed, device)
    history = {"loss": [], "val_loss": [], "steps": 0, "best_step": 0}
    best, stale, last_eval, kept = math.inf, 0, 0, None
    bar = tqdm(total=run.total, disable=not verbose, desc=desc, unit="step")
    run.net.train()
    with engine._rng_scope(seed, device), bar:
        while run.step < run.total and stale < engine.n_iter_no_change:
            done = run.step
            history["loss"].append(run.epoch(len(history["loss"])))
            bar.update(run.step - done)
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}")
            if len(run.held) and (run.step - last_eval >= run.every or run.step == run.total):
                last_eval = run.step
                history["val_loss"].append(run.held_out_loss(len(history["loss"]) - 1))
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

    def __init__(self, engine: LMEngine, seqs, prefix, seed: int, device):
        self.engine, self.net = engine, engine.net
        data, self.lengths = pack(seqs, prefix)
        self.data = data.to(device)
        self.rows, self.held = split_validation(prefix, engine.validation_fraction, seed)
        self.bs = min(engine.batch_size, len(self.rows))
        per_epoch = math.ceil(len(self.rows) / self.bs)
        self.total = (engine.max_steps if engine.epochs is None
                      else min(engine.max_steps, engine.epochs * per_epoch))
        self.every = max(per_epoch, 10)
        self.opt = torch.optim.AdamW(_param_groups(self.net, engine.weight_decay),
                                     lr=engine.learning_rate)
        self.order_gen = torch.Generator().manual_seed(seed)  # batch order: any device alike
        self.noise_gen = torch.Generator(device=device).manual_seed(seed)  # dropout
        self.loss_fn = engine._loss_fn()
        self.autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
                         else contextlib.nullcontext())
        self.step = 0

    def _batch(self, rows):
        # trim the padding past the longest text of the batch
        batch = self.data[torch.as_tensor(rows, device=self.data.device),
                          : int(self.lengths[rows].max())]
        return batch[:, :-1].clamp_min(0), batch[:, 1:]

    def epoch(self, index: int) -> float:
        """One pass over the training rows (cut at the step budget); mean loss."""
        order = self.rows[torch.randperm(len(self.rows), generator=self.order_gen).numpy()]
        batches = [order[i : i + self.bs] for i in range(0, len(order), self.bs)]
        batches = batches[: self.total - self.step]
        sums = torch.zeros((), device=self.data.device)
        for rows in batches:
            for group in self.opt.param_groups:
                group["lr"] = self.engine.learning_rate * lr_factor(self.step, self.total)
            with self.autocast:
                loss = self.loss_fn(*self._batch(rows), self.noise_gen)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
            self.opt.step()
            sums += loss.detach()
            self.step += 1
        mean = float(sums) / len(batches)  # one host sync per epoch
        check_finite([mean], "TextLM", index)
        return mean

    @torch.no_grad()
    def held_out_loss(self, index: int) -> float:
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
        mean = total / max(tokens, 1)
        check_finite([mean], "TextLM", index)
        return mean
