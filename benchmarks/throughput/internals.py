"""Every private synthaug hook the benchmarks use, in one place.

The throughput benchmark times parts of ``sample`` on their own (the bare
generator network, the decoding, a chosen batch size); synthaug has no
public API for those yet. They are reached here, and nowhere else in
``benchmarks/`` (``tests/test_bench_harness.py`` checks it), so that when
the library publishes them only this module changes.

Private names used (``model`` is a fitted TabularVAE / TabularGAN)
------------------------------------------------------------------
``model._rows_per_call()``
    Rows per sampling call on the model's device: the default batch that
    ``sample`` uses. Measured: which measured batch is the default, and the
    chunk size ``sample_to_file`` streams with (:func:`default_batch`).
``model._sample_chunk`` (instance attribute, set and deleted)
    Overrides that batch for one model. Measured: ``sample`` rows/s against
    batch size (:func:`sample_batch`).
``model._condition(y_idx, noise, conditions)``
    Condition vectors for label indices, as ``sample`` builds them before
    the network runs. Measured: the bare forward pass gets them prepared
    beforehand, so that it times the network alone (:func:`condition_vectors`).
``model._collector(n)`` and ``model._decode_part(encoded)``
    The container ``sample`` collects decoded chunks into, and the decoding
    of one encoded chunk on the device. Measured: decoding alone, done the
    way ``sample`` does it (:func:`decode_like_sample`).
``ctgan.CTGAN._batch_size`` (the peer's, not synthaug's)
    ctgan's own sampling batch, stated next to its rows/s (:func:`ctgan_batch`).

Non-public modules used (no underscore, but not synthaug's public API)
-----------------------------------------------------------------------
``synthaug.nets.noise.RowNoise`` / ``StreamNoise``
    Noise sources of the generator networks (tabular and image forward passes).
``synthaug.nets.transformer.generate`` / ``next_tokens``
    TextLM's batched sampler with a KV cache, and its token draw (text
    generation with and without the cache).
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
    return model._rows_per_call()


@contextmanager
def sample_batch(model, rows: int):
    """Within the block, ``model.sample`` works in batches of ``rows``."""
    model._sample_chunk = int(rows)  # instance override of the class default
    try:
        yield model
    finally:
        del model._sample_chunk


def condition_vectors(model, y_idx, n: int):
    """The condition vectors ``sample`` feeds the network for label indices
    ``y_idx`` (None for an unconditional model), for ``n`` rows."""
    RowNoise, _ = noise_classes()
    return model._condition(y_idx, RowNoise(0, 0, n, n, model.device_), None)


def decode_like_sample(model, encoded: list, n: int):
    """Decode encoded chunks as ``sample`` does: each chunk on the device to
    plain arrays, collected into the user's container (built once)."""
    rows = model._collector(n)
    for M in encoded:
        rows.add(model._decode_part(M))
    return rows.result()


def ctgan_batch(peer) -> int:
    """ctgan's CTGAN sampling batch (a private attribute of ctgan)."""
    return peer._batch_size
