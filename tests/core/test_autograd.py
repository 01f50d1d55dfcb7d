"""Autograd behaviour: accumulation, grad_req, freed graphs, pause, grad(), modes, seeds."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, np


def test_broadcast_gradient_reduces_to_input_shape():
    a = np.ones((3, 1)).attach_grad()
    b = np.ones((4,)).attach_grad()
    with autograd.record():
        y = (a * b).sum()
    y.backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    onp.testing.assert_array_equal(a.grad.asnumpy(), onp.full((3, 1), 4.0))
    onp.testing.assert_array_equal(b.grad.asnumpy(), onp.full((4,), 3.0))


def test_array_used_twice_accumulates_both_paths():
    x = np.array([1.0, 2.0, 3.0]).attach_grad()
    with autograd.record():
        y = (x * x + x).sum()
    y.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), 2 * onp.array([1, 2, 3]) + 1)


def test_grad_req_write_overwrites_and_add_accumulates():
    w = np.array([1.0, 2.0]).attach_grad("write")
    a = np.array([1.0, 2.0]).attach_grad("add")
    for _ in range(3):
        with autograd.record():
            y = (w * 2).sum() + (a * 2).sum()
        y.backward()
    onp.testing.assert_array_equal(w.grad.asnumpy(), [2.0, 2.0])
    onp.testing.assert_array_equal(a.grad.asnumpy(), [6.0, 6.0])


def test_second_backward_through_freed_graph_raises():
    x = np.ones(3).attach_grad()
    with autograd.record():
        y = (x * 2).sum()
    y.backward()
    with pytest.raises(autograd.GraphFreedError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = np.ones(3).attach_grad("add")
    with autograd.record():
        y = (x * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    onp.testing.assert_array_equal(x.grad.asnumpy(), [4.0, 4.0, 4.0])


def test_saved_arrays_released_after_backward():
    x = np.ones((4, 4)).attach_grad()
    with autograd.record():
        h = np.exp(x)
        y = (h * h).sum()
    node = h._node
    assert node.__dict__
    y.backward()
    assert node.parents is None and not hasattr(node, "y")


def test_pause_records_nothing():
    x = np.ones(3).attach_grad()
    with autograd.record():
        with autograd.pause():
            y = x * 2
            assert not autograd.is_recording()
        assert autograd.is_recording()
    assert y._node is None
    with pytest.raises(ValueError, match="does not depend"):
        y.sum().backward()


def test_nothing_recorded_outside_record():
    x = np.ones(3).attach_grad()
    y = x * 2
    assert y._node is None


def test_modes():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.predict_mode():
            assert not autograd.is_training() and autograd.is_recording()
    with autograd.record(train_mode=False):
        assert not autograd.is_training()
    with autograd.train_mode():
        assert autograd.is_training() and not autograd.is_recording()


def test_non_scalar_backward_defaults_to_ones():
    x = np.array([1.0, 2.0]).attach_grad()
    with autograd.record():
        y = x * 3
    y.backward()
    onp.testing.assert_array_equal(x.grad.asnumpy(), [3.0, 3.0])


def test_autograd_grad_returns_without_touching_dot_grad():
    x = np.array([1.0, 2.0]).attach_grad()
    z = np.array([3.0, 4.0]).attach_grad()
    with autograd.record():
        y = (x * z).sum()
    gx, gz = autograd.grad(y, [x, z])
    onp.testing.assert_array_equal(gx.asnumpy(), [3.0, 4.0])
    onp.testing.assert_array_equal(gz.asnumpy(), [1.0, 2.0])
    onp.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])


def test_detach_cuts_the_graph():
    x = np.array([1.0, 2.0]).attach_grad()
    with autograd.record():
        y = (x.detach() * x).sum()
    y.backward()
    onp.testing.assert_array_equal(x.grad.asnumpy(), [1.0, 2.0])


def test_writes_are_refused_while_recording_a_tracked_array():
    x = np.ones(3).attach_grad()
    with autograd.record():
        with pytest.raises(RuntimeError, match="cannot write"):
            x[0] = 5.0
    x[0] = 5.0
    assert x.asnumpy()[0] == 5.0


def test_seed_gives_bit_identical_cpu_results():
    def run():
        gk.random.seed(7)
        a = np.random.normal(size=(5,))
        b = np.random.uniform(size=(3,))
        c = gk.npx.dropout(np.ones(8), 0.5, training=True)
        return onp.concatenate([a.asnumpy(), b.asnumpy(), c.asnumpy()])

    onp.testing.assert_array_equal(run(), run())


def test_numpy_interop():
    x = np.array([[1.0, 2.0]])
    assert onp.asarray(x).shape == (1, 2)
    y = onp.ones((1, 2)) + x  # NumPy defers to the ndarray operator
    assert isinstance(y, gk.ndarray)
    assert x.dtype == onp.float32 and np.array([1, 2]).dtype == onp.int64


def test_gpu_request_without_device_says_why():
    if gk.num_gpus() > 0:
        pytest.skip("this machine has a GPU")
    with pytest.raises(gk.DeviceError, match="CuPy|CUDA|GPU"):
        gk.gpu(0)


def test_default_device_context():
    with gk.device(gk.cpu()):
        assert np.zeros(2).device == gk.cpu()


def test_graph_keeps_only_what_backward_needs():
    import weakref

    x = np.ones((4, 4)).attach_grad()
    with autograd.record():
        h = x * 3
        ref = weakref.ref(h._data)
        y = ((h + 1) * 2).sum()  # Add and a scalar Mul save nothing of h
    del h
    assert ref() is None  # h's data was freed during forward
    y.backward()
    onp.testing.assert_array_equal(x.grad.asnumpy(), onp.full((4, 4), 6.0))


def test_grad_of_an_intermediate_array():
    x = np.array([1.0, 2.0]).attach_grad()
    with autograd.record():
        h = x * x
        y = (h * 3).sum()
    (gh,) = autograd.grad(y, [h])
    onp.testing.assert_array_equal(gh.asnumpy(), [3.0, 3.0])
