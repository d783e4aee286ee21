"""The VAE engine: one training loop for every modality's conditional VAE."""
from __future__ import annotations

import torch

from ..nets.noise import StreamNoise
from .base import TrainingSet
from .conditional import ConditionalEngine
from .training import run_epochs, seeded_init


class VAEEngine(ConditionalEngine):
    """Trains a net with ``loss(x, condition, noise, beta) -> (loss,
    reconstruction, kl)`` by Adam over epochs of the conditioning's batches.

    History keys: ``loss``, ``reconstruction``, ``kl`` (per-epoch means).
    """

    keys = ("loss", "reconstruction", "kl")

    def __init__(self, build_net, conditioning, *, epochs: int, batch_size: int,
                 learning_rate: float, weight_decay: float, beta: float):
        super().__init__(build_net, conditioning)
        self.epochs, self.batch_size, self.beta = epochs, batch_size, beta
        self.learning_rate, self.weight_decay = learning_rate, weight_decay

    def fit(self, data: TrainingSet, seed: int, device, desc: str, verbose: bool) -> dict:
        X = self._setup(data, device)
        net = seeded_init(seed, lambda: self.build_net(self.layout, self.conditioning))
        net = net.to(device).train()
        opt = torch.optim.Adam(net.parameters(), lr=self.learning_rate,
                               weight_decay=self.weight_decay)
        gen = torch.Generator(device=device).manual_seed(seed)
        bs = min(self.batch_size, len(X))

        def one_epoch(_):
            sums = torch.zeros(3, device=device)
            for rows, cond, _ in self.conditioning.epoch(bs, gen, device):
                noise = StreamNoise(gen, len(rows), device)
                loss, recon, kl = net.loss(X[rows], cond, noise, self.beta)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sums += torch.stack([loss.detach(), recon, kl]) * len(rows)
            return (sums / len(X)).tolist()

        history = run_epochs(self.epochs, one_epoch, self.keys, desc=desc, verbose=verbose)
        self._keep(net)
        return history
