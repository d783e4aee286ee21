"""The part the VAE and GAN engines share: a sampling net driven by a
condition and a noise source, and its state."""
from __future__ import annotations

import numpy as np
import torch

from .base import Engine, TrainingSet, load_module_arrays, module_arrays


class ConditionalEngine(Engine):
    """An engine whose net samples ``net.sample(condition, noise, temperature)``.

    Parameters
    ----------
    build_net : callable ``(layout, conditioning) -> nn.Module``
        The sampling network for a codec layout (a picklable function or
        ``functools.partial``: the engine is pickled with the estimator).
    conditioning : class or partial of one, see :mod:`synthaug.engines.conditioning`
        Built as ``conditioning(layout, n_classes)``.
    """

    def __init__(self, build_net, conditioning):
        self.build_net, self.make_conditioning = build_net, conditioning

    def _setup(self, data: TrainingSet, device) -> torch.Tensor:
        """The training matrix on ``device``, with the conditioning fitted on it."""
        self.layout = data.layout
        self.conditioning = self.make_conditioning(data.layout, data.n_classes)
        X = torch.as_tensor(np.asarray(data.M), dtype=torch.float32, device=device)
        self.conditioning.fit(X, data.y_idx, data.labels)
        return X

    def _keep(self, net: torch.nn.Module) -> None:
        # sampling needs no gradients: a fitted or loaded net is frozen
        self.net = net.eval().requires_grad_(False)

    def sample(self, y, noise, condition, temperature: float, options: dict) -> torch.Tensor:
        cond = self.conditioning.for_sampling(y, noise, condition)
        out = self.net.sample(cond, noise, temperature=temperature)
        return self.conditioning.finish(out, condition)

    def class_counts_given(self, condition) -> np.ndarray:
        return self.conditioning.class_counts_given(condition)

    def rows_per_call(self, device: torch.device) -> int:
        return self.conditioning.rows_per_call(device, self.layout, self.net)

    def state(self) -> tuple[dict, dict]:
        return {}, {**self.conditioning.arrays(), **module_arrays("net", self.net)}

    def restore(self, config: dict, arrays: dict, layout, n_classes: int, device) -> None:
        self.layout = layout
        self.conditioning = self.make_conditioning(layout, n_classes)
        net = self.build_net(layout, self.conditioning)
        load_module_arrays("net", net, arrays)
        self.conditioning.restore(arrays, device)
        self._keep(net.to(device))

    def to(self, device: torch.device) -> "ConditionalEngine":
        super().to(device)
        self.conditioning.to(device)
        return self
