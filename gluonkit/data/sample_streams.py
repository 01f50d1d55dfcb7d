"""The per-sample generators of a whole batch, drawn from in lockstep with array arithmetic.

The loader seeds sample ``position`` of an epoch with ``numpy.random.default_rng([seed, epoch, 1,
position])`` (``worker.sample_rng``). Building one ``Generator`` per sample costs ~10 µs, as much
as augmenting a 28x28 image, so a batch-wise transform instead asks this class for the same
draws for every sample of the batch at once: NumPy's ``SeedSequence`` hash, ``PCG64``'s seeding,
step and XSL-RR output, and ``Generator.integers``' bounded draw (Lemire's method on the 32-bit
halves of the 64-bit outputs) and ``Generator.random``, written with ``uint32``/``uint64``
arrays. The values equal the per-sample generators' bit for bit, so a batch made batch-wise is
the batch the per-sample path makes: seeded runs repeat, and a sample is augmented alike
whatever the number of workers or ranks. The rare draw NumPy would reject and redraw (for a
range of 5, one in 2**32) is flagged in ``exact``; the loader makes those samples one by one.

Example::

    s = SampleStreams(0, 3, numpy.arange(64))
    y0, x0 = s.integers(5), s.integers(5)   # == [sample_rng(0, 3, p).integers(0, 5) ...] twice
"""
from __future__ import annotations

import numpy as onp

__all__ = ["SampleStreams"]

_M32 = onp.uint64(0xFFFFFFFF)
_S32 = onp.uint64(32)
# SeedSequence's hash constants (numpy/random/bit_generator.pyx) and PCG64's 128-bit multiplier.
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = onp.uint32(0xCA01F9DD), onp.uint32(0x4973F715)
_MUL_HI, _MUL_LO = onp.uint64(0x2360ED051FC65DA4), onp.uint64(0x4385DF649FCCF645)


def _seed_words(entropy: list[onp.ndarray]) -> list[onp.ndarray]:
    """``SeedSequence(entropy).generate_state(8)`` per row, for 4 one-word entropy columns."""
    const = _INIT_A

    def hashmix(v: onp.ndarray) -> onp.ndarray:
        nonlocal const
        v = v ^ onp.uint32(const)
        const = (const * _MULT_A) & 0xFFFFFFFF
        v = v * onp.uint32(const)
        return v ^ (v >> onp.uint32(16))

    pool = [hashmix(e) for e in entropy]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                mixed = _MIX_L * pool[dst] - _MIX_R * hashmix(pool[src])
                pool[dst] = mixed ^ (mixed >> onp.uint32(16))
    words, const = [], _INIT_B
    for i in range(8):
        v = pool[i % 4] ^ onp.uint32(const)
        const = (const * _MULT_B) & 0xFFFFFFFF
        v = v * onp.uint32(const)
        words.append(v ^ (v >> onp.uint32(16)))
    return words


def _mul_wide(a: onp.ndarray, b: onp.uint64) -> tuple[onp.ndarray, onp.ndarray]:
    """The full 128-bit product of uint64 ``a`` and ``b`` as (high, low) words."""
    a0, a1, b0, b1 = a & _M32, a >> _S32, b & _M32, b >> _S32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> _S32) + (p01 & _M32) + (p10 & _M32)
    return p11 + (p01 >> _S32) + (p10 >> _S32) + (mid >> _S32), (p00 & _M32) | (mid << _S32)


def _add128(hi, lo, add_hi, add_lo) -> tuple[onp.ndarray, onp.ndarray]:
    low = lo + add_lo
    return hi + add_hi + (low < lo).astype(onp.uint64), low


class SampleStreams:
    """The generators ``default_rng([seed, epoch, 1, p])`` for each ``p`` of ``positions``."""

    @staticmethod
    def supports(seed: int, epoch: int, positions: onp.ndarray) -> bool:
        """Whether every entropy value is one 32-bit word (what this class reproduces)."""
        top = int(onp.max(positions)) if len(positions) else 0
        return max(seed, epoch, top) < 2**32 and min(seed, epoch) >= 0 and \
            (not len(positions) or int(onp.min(positions)) >= 0)

    def __init__(self, seed: int, epoch: int, positions: onp.ndarray):
        n = len(positions)
        self.exact = onp.ones(n, dtype=bool)
        self._half: onp.ndarray | None = None  # the buffered upper 32 bits of the last output
        with onp.errstate(over="ignore"):
            w = _seed_words([onp.full(n, seed, onp.uint32), onp.full(n, epoch, onp.uint32),
                             onp.ones(n, onp.uint32), onp.asarray(positions, onp.uint32)])
            v = [w[2 * k].astype(onp.uint64) | (w[2 * k + 1].astype(onp.uint64) << _S32)
                 for k in range(4)]
            # pcg_setseq_128_srandom_r: inc = seq << 1 | 1; state = 0; step (state = inc);
            # state += seed; step.
            self._inc = ((v[2] << onp.uint64(1)) | (v[3] >> onp.uint64(63)),
                         (v[3] << onp.uint64(1)) | onp.uint64(1))
            self._state = _add128(*self._inc, v[0], v[1])
            self._step()

    def _step(self) -> None:
        hi, lo = self._state
        phi, plo = _mul_wide(lo, _MUL_LO)
        self._state = _add128(phi + lo * _MUL_HI + hi * _MUL_LO, plo, *self._inc)

    def _next64(self) -> onp.ndarray:
        with onp.errstate(over="ignore"):
            self._step()
            hi, lo = self._state
            x, rot = hi ^ lo, hi >> onp.uint64(58)
            return (x >> rot) | (x << ((onp.uint64(64) - rot) & onp.uint64(63)))

    def _next32(self) -> onp.ndarray:
        if self._half is not None:
            out, self._half = self._half, None
            return out
        full = self._next64()
        self._half = full >> _S32
        return full & _M32

    def integers(self, high: int) -> onp.ndarray:
        """``rng.integers(0, high)`` of each sample's generator, as int64."""
        if not 1 <= high <= 2**32:
            raise ValueError(f"SampleStreams.integers reproduces 1 <= high <= 2**32, got {high}")
        if high == 1:  # NumPy draws nothing for a range of one value
            return onp.zeros(len(self.exact), onp.int64)
        if high == 2**32:
            return self._next32().astype(onp.int64)
        with onp.errstate(over="ignore"):
            m = self._next32() * onp.uint64(high)
        # NumPy redraws when the low word falls under (2**32 - high) % high: not reproduced.
        self.exact &= (m & _M32) >= onp.uint64((2**32 - high) % high)
        return (m >> _S32).astype(onp.int64)

    def random(self) -> onp.ndarray:
        """``rng.random()`` of each sample's generator: float64 in [0, 1)."""
        return (self._next64() >> onp.uint64(11)).astype(onp.float64) * (1.0 / 2**53)
