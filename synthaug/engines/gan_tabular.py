"""The tabular GAN's training: conditional WGAN-GP with packing (Gulrajani
et al. 2017; PacGAN, Lin et al. 2018), CTGAN's condition term and
training-by-sampling (Xu et al. 2019), CTAB-GAN's auxiliary label
classifier (Zhao et al. 2021)."""
from __future__ import annotations

import torch

from ..nets.gan import LabelClassifier, PackedCritic, critic_loss, label_cross_entropy
from ..nets.noise import StreamNoise
from .gan import GANEngine

ADAM_BETAS = (0.5, 0.9)  # the WGAN-GP paper's choice, also CTGAN's
# The label classifier's weight decay. It sees the same few real rows at
# every step, so without a strong decay it memorises them: where the label
# says little about the row it then pushes generated rows towards memorised
# rows of the requested class and fights the condition vector (a test fixture
# with a label independent of the features lost its column conditioning in 3
# of 8 seeds at 1e-6, none at 1e-2). On the tabular benchmark 1e-2 scored +0.22
# points against +0.15 at 1e-6 (run exp_wd, benchmarks/results/tabular.md).
CLASSIFIER_WEIGHT_DECAY = 1e-2


class TableGANEngine(GANEngine):
    """WGAN-GP steps: ``discriminator_steps`` critic (and label classifier)
    updates, then one generator update, ``ceil(n / batch)`` steps an epoch.

    History keys: ``generator`` (adversarial + condition + label loss),
    ``discriminator`` (critic loss with penalty), ``condition`` (generated vs
    requested category) and ``wasserstein`` (the critic's distance estimate).
    """

    keys = ("generator", "discriminator", "condition", "wasserstein")

    def __init__(self, build_net, conditioning, *, discriminator_dims, pac: int,
                 discriminator_steps: int, gradient_penalty: float, label_loss: float,
                 weight_decay: float, **kw):
        super().__init__(build_net, conditioning, **kw)
        self.discriminator_dims, self.pac = tuple(discriminator_dims), pac
        self.discriminator_steps, self.gradient_penalty = discriminator_steps, gradient_penalty
        self.label_loss, self.weight_decay = label_loss, weight_decay
        self.hint = (f" (it is {self.learning_rate!r}; the default is 1e-3), for example to "
                     "CTGAN's 2e-4, or raise gradient_penalty,")

    def _build_nets(self) -> tuple:
        critics = self._critics()  # drawn before the generator's weights, as always
        return (self.build_net(self.layout, self.conditioning), *critics)

    def _critics(self):
        width = sum(w for w, _ in self.layout)
        critic = PackedCritic(width + self.conditioning.dim, self.discriminator_dims, self.pac)
        n_classes = self.conditioning.cv.n_classes
        classifier = (LabelClassifier(width, n_classes)
                      if n_classes and self.label_loss > 0 else None)
        return critic, classifier

    def _optimizers(self, G, critics):
        critic, classifier = critics
        groups = [{"params": list(critic.parameters())}]
        if classifier is not None:
            groups.append({"params": list(classifier.parameters()),
                           "weight_decay": CLASSIFIER_WEIGHT_DECAY})
        return (_adam([{"params": list(G.parameters())}], self.learning_rate, self.weight_decay),
                _adam(groups, self.learning_rate, self.weight_decay))

    def _epoch(self, run) -> list:
        bs = batch_rows(len(run.X), self.batch_size, self.pac)
        steps = -(-len(run.X) // bs)
        sums = torch.zeros(4, device=run.X.device)
        # the parameters the generator step leaves alone (critic and classifier)
        critic_params = [p for g in run.opts[1].param_groups for p in g["params"]]
        for _ in range(steps):
            sums += self._step(run, bs, critic_params)
            run.average.update()
        return (sums / steps).tolist()

    def _step(self, run, bs: int, critic_params: list) -> torch.Tensor:
        """Critic update(s) then one generator update; returns the detached
        generator, critic, condition losses and the Wasserstein estimate.

        The label classifier learns from the critic's real rows in the same
        backward pass and optimiser step as the critic (their losses share
        no parameters, so the sum trains each as its own step would)."""
        G, (D, C), (opt_g, opt_d) = run.G, run.critics, run.opts
        X, gen, dev, cv = run.X, run.gen, run.X.device, self.conditioning.cv
        n_classes = cv.n_classes if C is not None else 0
        _trainable(critic_params, True)
        for _ in range(self.discriminator_steps):
            rows, cond, _ = self.conditioning.batch(bs, gen, dev)
            real = X[rows]
            noise = StreamNoise(gen, bs, dev)
            with torch.no_grad():
                fake = G.activate(G(noise.normal(G.latent_dim), cond), noise)
            loss_d, wasserstein = critic_loss(
                D, torch.cat([real, cond], 1), torch.cat([fake, cond], 1), gen,
                self.gradient_penalty,
            )
            loss = loss_d
            if C is not None:
                loss = loss + label_cross_entropy(C(real), cond[:, :n_classes])
            opt_d.zero_grad(set_to_none=True)
            loss.backward()
            opt_d.step()
        _trainable(critic_params, False)  # the generator step needs no critic gradients
        _, cond, pos = self.conditioning.batch(bs, gen, dev)
        noise = StreamNoise(gen, bs, dev)
        raw = G(noise.normal(G.latent_dim), cond)
        fake = G.activate(raw, noise)
        cond_loss = cv.condition_loss(raw, pos) if pos is not None else raw.new_zeros(())
        loss_g = -D(torch.cat([fake, cond], 1)).mean() + cond_loss
        if C is not None:
            loss_g = loss_g + self.label_loss * label_cross_entropy(C(fake), cond[:, :n_classes])
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        return torch.stack([loss_g.detach(), loss_d.detach(), cond_loss.detach(), wasserstein])


def batch_rows(n: int, batch_size, pac: int) -> int:
    """Rows per step: ``batch_size``, or None for ``n / 4`` up to CTGAN's 500.

    A multiple of ``pac``, since the critic scores packs of ``pac`` rows;
    rounded up, so a small table gets at most the four steps per epoch
    promised (rounding 30 rows / 4 down to 5 made six, half again the fit time).
    """
    wanted = min(500, -(-n // 4)) if batch_size is None else batch_size
    return pac * -(-min(wanted, n) // pac)


def _trainable(params: list, flag: bool) -> None:
    for p in params:
        p.requires_grad_(flag)


def _adam(groups: list, lr: float, weight_decay: float) -> torch.optim.Adam:
    """Adam with one fused kernel per step where torch has one for the
    device (CPU and CUDA): on these small nets the optimiser's many small
    ops cost about a tenth of the fit; the fused update is the same rule."""
    device = groups[0]["params"][0].device
    options = dict(lr=lr, betas=ADAM_BETAS, weight_decay=weight_decay)
    if device.type in ("cpu", "cuda"):
        try:
            return torch.optim.Adam(groups, fused=True, **options)
        except RuntimeError:  # a torch build without the fused kernel here
            pass
    return torch.optim.Adam(groups, foreach=True, **options)
