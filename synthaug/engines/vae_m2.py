"""The semi-supervised VAE (M2 of Kingma et al. 2014) for tables.

A classifier q(y | x) is trained jointly with the conditional VAE. A
labelled row trains the VAE under its own label, and the classifier on it;
an unlabelled row trains the VAE under every label at once, each weighted by
the classifier's current probability of it, minus the entropy of those
probabilities (the row's negative ELBO with the label marginalised out):

    L(x, y)  labelled:    -ELBO(x, y)                     + weight * CE(q(.|x), y)
    U(x)     unlabelled:  sum_y q(y|x) (-ELBO(x, y))  -  H(q(.|x))

So the pool shapes each class's distribution through the classifier, and
the classifier learns from the pool through the generative model, rather
than pseudo-labels fixed once before training. Sampling is the conditional
VAE's, unchanged.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..nets.noise import StreamNoise
from .base import TrainingSet
from .training import run_epochs, seeded_init
from .vae import VAEEngine

# Weight of the classifier's cross-entropy on a labelled row, next to a row's
# negative ELBO (which is of the order of the number of columns, in nats).
# Kingma et al. weight it 0.1 N in a summed objective; in this mean-per-row
# objective a constant of the same order as the ELBO lets q(y|x) learn from
# the few labelled rows without drowning the generative term.
CLASSIFIER_WEIGHT = 10.0
HIDDEN = 64


class M2VAEEngine(VAEEngine):
    """The VAE engine with M2's joint classifier (see the module docstring).

    Without unlabelled rows it trains exactly as :class:`VAEEngine`. History
    adds ``classifier``: the per-epoch mean cross-entropy on labelled rows.
    """

    def fit(self, data: TrainingSet, seed: int, device, desc: str, verbose: bool) -> dict:
        if data.y_idx is None or not (data.y_idx < 0).any():
            return super().fit(data, seed, device, desc, verbose)
        X = self._setup(data, device)
        n_classes = data.n_classes
        net, clf = seeded_init(seed, lambda: (
            self.build_net(self.layout, self.conditioning),
            nn.Sequential(nn.Linear(X.shape[1], HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, n_classes))))
        net, clf = net.to(device).train(), clf.to(device).train()
        opt = torch.optim.Adam([*net.parameters(), *clf.parameters()], lr=self.learning_rate,
                               weight_decay=self.weight_decay)
        gen = torch.Generator(device=device).manual_seed(seed)
        bs = min(self.batch_size, len(X))
        labels = self.conditioning.labels  # class index per row, -1 for unlabelled

        def one_epoch(_):
            sums = torch.zeros(4, device=device)
            for rows, cond, _ in self.conditioning.epoch(bs, gen, device):
                parts = self._m2_loss(net, clf, X[rows], cond, labels[rows], gen, n_classes)
                opt.zero_grad(set_to_none=True)
                parts[0].backward()
                opt.step()
                sums += torch.stack([p.detach() for p in parts]) * len(rows)
            return (sums / len(X)).tolist()

        history = run_epochs(self.epochs, one_epoch, (*self.keys, "classifier"), desc=desc,
                             verbose=verbose)
        self._keep(net)
        return history

    def _m2_loss(self, net, clf, x, cond, lab, gen, n_classes: int):
        """Mean objective of a batch, and its reconstruction, KL and
        classifier parts (for the history)."""
        known = lab >= 0
        log_q = F.log_softmax(clf(x), 1)
        # labelled rows under their label; unlabelled rows once per label
        xs = torch.cat([x[known], x[~known].repeat_interleave(n_classes, 0)])
        cu = cond[~known].repeat_interleave(n_classes, 0)
        cu[:, :n_classes] = torch.eye(n_classes, device=x.device).repeat(int((~known).sum()), 1)
        rows, recon, kl = net.loss_rows(xs, torch.cat([cond[known], cu]),
                                        StreamNoise(gen, len(xs), x.device), self.beta)
        n_known = int(known.sum())
        q = log_q[~known].exp()
        unlabelled = (q * rows[n_known:].view(-1, n_classes)).sum(1) + (q * log_q[~known]).sum(1)
        ce = F.nll_loss(log_q[known], lab[known]) if n_known else log_q.new_zeros(())
        loss = (rows[:n_known].sum() + unlabelled.sum()) / len(x) + CLASSIFIER_WEIGHT * ce
        return loss, recon.mean(), kl.mean(), ce
