"""GradientReducer: buckets, flattening, averaging, and agreement on which gradients are fresh
(the logic the MPI and the NCCL paths share)."""
import numpy as onp

import gluonkit as gk
from gluonkit.dist import GradientReducer, plan_buckets
from gluonkit.nn import Parameter
from gluonkit.optim import Trainer

from .fake_comm import FakeComm

F32, F16 = onp.dtype("float32"), onp.dtype("float16")


def test_buckets_group_by_dtype_up_to_the_size_keeping_order():
    sizes = [10, 10, 10, 100, 5]
    assert plan_buckets(sizes, [F32] * 5, bucket_bytes=80) == [[0, 1], [2], [3], [4]]
    assert plan_buckets([4, 4, 4], [F32, F16, F32], bucket_bytes=1024) == [[0, 2], [1]]
    assert plan_buckets(sizes, [F32] * 5, bucket_bytes=10**6) == [[0, 1, 2, 3, 4]]


def _params(*values):
    out = []
    for v in values:
        p = Parameter(onp.shape(v), init="zeros")
        p.initialize()
        p.set_data(onp.zeros(onp.shape(v), "float32"))
        p.data().grad[...] = onp.asarray(v, "float32")
        out.append(p)
    return out


def test_gradients_are_averaged_in_buckets_and_written_back():
    a, b = _params([1.0, 2.0], [[3.0], [5.0]])
    peer_a, peer_b = onp.array([3.0, 6.0]), onp.array([7.0, 9.0])
    # one flag allreduce, then one bucket holding both parameters
    comm = FakeComm(2, [[1, 1], onp.concatenate([peer_a, peer_b])])
    agreed = GradientReducer(comm)([a, b], [True, True])
    assert agreed == [True, True]
    assert comm.calls == [("max", 2), ("sum", 4)]
    onp.testing.assert_allclose(a.grad().asnumpy(), [2.0, 4.0])
    onp.testing.assert_allclose(b.grad().asnumpy(), [[5.0], [7.0]])


def test_small_buckets_split_the_reduction():
    a, b = _params([1.0, 1.0], [1.0, 1.0])
    comm = FakeComm(2, [[1, 1], [1.0, 1.0], [3.0, 3.0]])
    GradientReducer(comm, bucket_mb=8 / 2**20)([a, b], [True, True])
    assert comm.calls == [("max", 2), ("sum", 2), ("sum", 2)]
    onp.testing.assert_allclose(b.grad().asnumpy(), [2.0, 2.0])


def test_a_gradient_stale_here_but_fresh_elsewhere_counts_as_zero_here():
    a, b = _params([1.0], [100.0])  # b's 100 is last step's gradient: this rank skipped it
    comm = FakeComm(2, [[1, 1], [3.0, 8.0]])
    agreed = GradientReducer(comm)([a, b], [True, False])
    assert agreed == [True, True]
    onp.testing.assert_allclose(b.grad().asnumpy(), [4.0])  # (0 + 8) / 2, not (100 + 8) / 2


def test_a_gradient_stale_on_every_rank_is_skipped_everywhere():
    a, b = _params([1.0], [100.0])
    comm = FakeComm(2, [[1, 0], [3.0]])
    assert GradientReducer(comm)([a, b], [True, False]) == [True, False]
    onp.testing.assert_allclose(b.grad().asnumpy(), [100.0])


def test_trainer_updates_what_the_reducer_agreed():
    w, v = _params([0.0], [0.0])
    seen = []

    def reducer(params, fresh):
        seen.append(list(fresh))
        return [True, False]

    trainer = Trainer([w, v], "sgd", {"learning_rate": 1.0}, reduce_gradients=reducer)
    x = gk.np.array([2.0])
    with gk.autograd.record():
        y = (w.data() * x + v.data() * x).sum()
    y.backward()
    trainer.step(1)
    assert seen == [[True, True]]
    onp.testing.assert_allclose(w.data().asnumpy(), [-2.0])  # 0 - 1.0 * 2
    onp.testing.assert_allclose(v.data().asnumpy(), [0.0])   # untouched
