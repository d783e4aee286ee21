"""The parts of ``sample`` the throughput benchmark times on their own.

The benchmark times the bare generator network, the decoding and a chosen
batch size apart from the whole ``sample`` call. Each is reached through the
fitted model's public attributes (``sample_batch_size``,
``sample_batch_size_``, ``engine_``, ``codec_``), here and nowhere else in
``benchmarks/``, so that a change of the library's layout changes only this
module. The one private name left is the peer's (``tests/test_bench_harness.py``
checks that no other module touches a private name).

``model`` is a fitted TabularVAE / TabularGAN:

``model.sample_batch_size_`` / ``set_params(sample_batch_size=...)``
    Rows per device call: the default ``sample`` uses and the streaming
    chunk size (:func:`default_batch`), and ``sample`` rows/s against batch
    size (:func:`sample_batch`).
``model.engine_.conditioning.for_sampling(y, noise, None)``
    Condition vectors as ``sample`` builds them before the network runs:
    the bare forward pass gets them prepared, so it times the network alone
    (:func:`condition_vectors`).
``model.codec_.collector(n)`` / ``model.codec_.decode(encoded)``
    Decoding alone, done the way ``sample`` does it (:func:`decode_like_sample`).
``ctgan.CTGAN._batch_size`` (the peer's private attribute)
    ctgan's own sampling batch, stated next to its rows/s (:func:`ctgan_batch`).

Modules below the public API used: ``synthaug.nets.noise`` (``RowNoise`` /
``StreamNoise``, the networks' noise sources) and ``synthaug.nets.transformer``
(``generate`` / ``next_tokens``, TextLM's batched sampler and token draw).
"""
from __future__ import annotations

from contextlib import contextmanager


def noise_classes():
    """``(RowNoise, StreamNoise)`` from ``synthaug.nets.noise``."""
    from synthaug.nets.noise import RowNoise, StreamNoise

    return RowNoise, StreamNoise


def transformer_sampling():
    """``(generate, next_tokens)`` from ``synthaug.nets.transformer``."""
    from synthaug.nets.transformer import generate, next_tokens

    return generate, next_tokens


def default_batch(model) -> int:
    """Rows per sampling call that ``sample`` uses on the model's device."""
    return model.sample_batch_size_


@contextmanager
def sample_batch(model, rows: int):
    """Within the block, ``model.sample`` works in batches of ``rows``."""
    before = model.sample_batch_size
    model.set_params(sample_batch_size=int(rows))
    try:
        yield model
    finally:
        model.set_params(sample_batch_size=before)


def condition_vectors(model, y_idx, n: int):
    """The condition vectors ``sample`` feeds the network for label indices
    ``y_idx`` (None for an unconditional model), for ``n`` rows."""
    RowNoise, _ = noise_classes()
    noise = RowNoise(0, 0, n, n, model.device_)
    return model.engine_.conditioning.for_sampling(y_idx, noise, None)


def decode_like_sample(model, encoded: list, n: int):
    """Decode encoded chunks as ``sample`` does: each chunk on the device to
    plain arrays, collected into the user's container (built once)."""
    rows = model.codec_.collector(n)
    for M in encoded:
        rows.add(model.codec_.decode(M))
    return rows.result()


def ctgan_batch(peer) -> int:
    """ctgan's CTGAN sampling batch (a private attribute of ctgan)."""
    return peer._batch_size
