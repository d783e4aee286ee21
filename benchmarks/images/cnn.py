"""The downstream CNN of the image benchmark, classic augmentation, and the
per-image metrics (accuracy, macro-F1, distance to the closest record)."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def classic_augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random affine (rotate +-10 deg, shift +-10%, scale 0.9-1.1) then a
    random crop after zero padding by side/14 (2 pixels for 28x28, none for
    8x8, where one pixel is already 12%), per image, batched."""
    n, c, h, w = x.shape
    u = torch.rand((n, 4), generator=gen) * 2 - 1
    angle = u[:, 0] * math.radians(10)
    scale = 1.0 + 0.1 * u[:, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    # affine_grid maps output to input coordinates in [-1, 1]: a shift of
    # 10% of the side is 0.2 in those units
    theta = torch.stack([torch.stack([cos, -sin, 0.2 * u[:, 2]], 1),
                         torch.stack([sin, cos, 0.2 * u[:, 3]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
    p = h // 14
    if p == 0:
        return x
    padded = F.pad(x, (p, p, p, p))
    oy = torch.randint(0, 2 * p + 1, (n,), generator=gen)
    ox = torch.randint(0, 2 * p + 1, (n,), generator=gen)
    rows = (oy[:, None] + torch.arange(h))[:, None, :, None]
    cols = (ox[:, None] + torch.arange(w))[:, None, None, :]
    return padded[torch.arange(n)[:, None, None, None], torch.arange(c)[None, :, None, None],
                  rows, cols]


# ---------------------------------------------------------- downstream CNN
class SmallCNN(nn.Module):
    """Two conv blocks and an MLP head; the same network for every arm."""

    def __init__(self, channels: int, n_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            # max-pooling to 4x4 keeps the layout of an 8x8 digit and
            # summarises a 28x28 image alike
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(4),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(512, 64), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(64, n_classes))

    def forward(self, x):
        return self.head(self.features(x))


def train_cnn(X, y, n_classes, *, steps, seed, classic=False) -> SmallCNN:
    """A fixed number of Adam steps on batches of 64 drawn with replacement,
    so every arm gets the same compute whatever its training-set size."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # init and dropout masks: a script may own the global RNG
    net = SmallCNN(X.shape[1], n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    net.train()
    for _ in range(steps):
        rows = torch.randint(0, len(X), (min(64, len(X)),), generator=gen)
        xb = classic_augment(X[rows], gen) if classic else X[rows]
        loss = F.cross_entropy(net(xb), y[rows])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return net.eval()


@torch.inference_mode()
def predict(net, X) -> np.ndarray:
    X = torch.as_tensor(X)
    return torch.cat([net(X[s : s + 1024]).argmax(1) for s in range(0, len(X), 1024)]).numpy()


def score(y_true, y_pred) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro"))}


def dcr(X_syn, X_train, X_test) -> dict:
    """Median L2 pixel distance to the closest training image, for synthetic
    images and (the reference) for held-out real ones; and the share of
    synthetic images closer than 95% of held-out ones."""
    A = torch.as_tensor(X_train).flatten(1)
    syn = torch.cdist(torch.as_tensor(X_syn).flatten(1), A).min(1).values.numpy()
    held = torch.cdist(torch.as_tensor(X_test[:2000]).flatten(1), A).min(1).values.numpy()
    return {"dcr_median": float(np.median(syn)), "dcr_holdout": float(np.median(held)),
            "dcr_below_holdout_p05": float((syn < np.quantile(held, 0.05)).mean())}
