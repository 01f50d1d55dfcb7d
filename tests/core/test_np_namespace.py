"""The gluonkit.np namespace itself: names, a clean dir(), dtypes and their rules, creation
semantics, the Array API protocols, DLPack interop and the errors for what NumPy has and
gluonkit lacks."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np

ARRAY_API = """abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_left_shift
bitwise_invert bitwise_or bitwise_right_shift bitwise_xor ceil clip conj copysign cos cosh divide
equal exp expm1 floor floor_divide greater greater_equal hypot imag isfinite isinf isnan less
less_equal log log1p log2 log10 logaddexp logical_and logical_not logical_or logical_xor maximum
minimum multiply negative nextafter not_equal positive pow real reciprocal remainder round sign
signbit sin sinh square sqrt subtract tan tanh trunc arange asarray empty empty_like eye
from_dlpack full full_like linspace meshgrid ones ones_like tril triu zeros zeros_like astype
can_cast finfo iinfo isdtype result_type matmul matrix_transpose tensordot vecdot
broadcast_arrays broadcast_shapes broadcast_to concat expand_dims flip moveaxis permute_dims
repeat reshape roll squeeze stack tile unstack argmax argmin count_nonzero nonzero searchsorted
where unique_all unique_counts unique_inverse unique_values argsort sort cumulative_prod
cumulative_sum max mean min prod std sum var all any diff take take_along_axis
__array_namespace_info__ bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64
complex64 complex128 e inf nan pi newaxis""".split()
EVERYDAY = """einsum cumsum cumprod vstack hstack outer diag trace argpartition percentile median
histogram isin concatenate transpose swapaxes split array_split dot inner kron cross
polyfit polyval vander average quantile ptp allclose isclose array_equal nan_to_num
unique""".split()
LINALG = """norm inv solve det slogdet cholesky eigh eigvalsh svd svdvals qr pinv
matrix_power""".split()
FFT = "fft ifft rfft irfft fftn ifftn rfftn irfftn hfft ihfft fftfreq rfftfreq fftshift".split()


def test_has_the_array_api_and_everyday_numpy_names():
    missing = [n for n in ARRAY_API + EVERYDAY if not hasattr(np, n)]
    missing += [f"linalg.{n}" for n in LINALG if not hasattr(np.linalg, n)]
    missing += [f"fft.{n}" for n in FFT if not hasattr(np.fft, n)]
    assert missing == []
    assert np.__array_api_version__ == "2024.12"


def test_dir_lists_api_only():
    names = dir(np)
    leaked = [n for n in names if type(getattr(np, n)).__name__ == "module"
              and n not in ("fft", "linalg", "random")]
    assert leaked == []
    for helper in ("numpy", "builtins", "ew", "sh", "annotations", "_creation", "math"):
        assert helper not in names
    assert {"sin", "linalg", "fft", "random", "ndarray"} <= set(names)
    assert "inv" in dir(np.linalg) and "rfft" in dir(np.fft)


def test_submodules_import_like_packages():
    import gluonkit.np.fft as fft
    import gluonkit.np.linalg as linalg
    assert fft.rfft is np.fft.rfft and linalg.inv is np.linalg.inv


def test_numpy_names_gluonkit_lacks_say_so():
    with pytest.raises(AttributeError, match="numpy.fromfunction is not supported"):
        np.fromfunction  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'not_a_numpy_name'"):
        np.not_a_numpy_name  # noqa: B018


@pytest.mark.parametrize("make", [lambda: np.array([object()]), lambda: np.array(["a", "b"]),
                                  lambda: np.zeros(3, dtype=object),
                                  lambda: np.asarray([1, 2], dtype="U3")])
def test_object_and_string_arrays_are_refused_by_name(make):
    with pytest.raises(TypeError, match=r"gluonkit\.np\.\w+: argument '(obj|dtype)'"):
        make()


def test_ufunc_keywords_are_refused_by_name():
    with pytest.raises(TypeError, match=r"gluonkit\.np\.sin: argument\(s\) out"):
        np.sin(np.ones(2), out=np.ones(2))
    onp.testing.assert_allclose(np.sin(np.zeros(2), out=None).asnumpy(), 0)
    with pytest.raises(TypeError, match="argument 'out'"):
        np.sum(np.ones(2), out=np.ones(()))


def test_default_dtypes_follow_the_info_namespace():
    info = np.__array_namespace_info__()
    defaults = info.default_dtypes()
    assert np.asarray(1.0).dtype == defaults["real floating"] == np.float32
    assert np.asarray(1j).dtype == defaults["complex floating"] == np.complex64
    assert np.asarray(1).dtype == defaults["integral"] == np.int64
    assert np.asarray(True).dtype == np.bool
    assert np.asarray(onp.ones(2)).dtype == np.float64  # arrays keep their dtype
    assert set(info.dtypes(kind="integral")) == {"int8", "int16", "int32", "int64", "uint8",
                                                 "uint16", "uint32", "uint64"}
    assert gk.cpu() in info.devices()


def test_complex_arrays_and_parts():
    z = np.asarray([1 + 2j, -3j], dtype=np.complex128)
    onp.testing.assert_array_equal(np.real(z).asnumpy(), [1, 0])
    onp.testing.assert_array_equal(z.imag.asnumpy(), [2, -3])
    onp.testing.assert_array_equal(np.conj(z).asnumpy(), [1 - 2j, 3j])
    assert complex(np.asarray(2 + 1j)) == 2 + 1j


def test_dtype_rules_match_numpy():
    assert np.result_type(np.int8, np.uint8) == onp.int16
    assert np.result_type(np.ones(2, dtype="float32"), 1.0) == onp.float32
    assert np.can_cast(np.int8, np.int16) and not np.can_cast(np.float64, np.int32)
    assert np.isdtype(np.int32, "integral") and np.isdtype(np.complex64, ("bool", "numeric"))
    assert not np.isdtype(np.float32, "integral")
    with pytest.raises(ValueError, match="unknown kind"):
        np.isdtype(np.int8, "integer")
    assert np.finfo(np.float32).eps == onp.finfo(onp.float32).eps
    assert type(np.finfo(np.ones(1, dtype="float32")).max) is float
    assert np.iinfo(np.uint8).max == 255
    assert (np.ones(2, dtype="int8") + np.ones(2, dtype="uint8")).dtype == onp.int16


def test_astype_and_asarray_copy_semantics():
    x = np.asarray([1.0, 2.0])
    assert np.astype(x, np.float32, copy=False) is x
    assert np.astype(x, np.float64).dtype == np.float64
    assert np.asarray(x) is x and np.asarray(x, copy=True) is not x
    base = onp.arange(3.0)
    view = np.asarray(base, copy=False)
    base[0] = 7.0
    assert view.asnumpy()[0] == 7.0  # no copy was made
    with pytest.raises(ValueError):
        np.asarray(base, dtype="int32", copy=False)


def test_array_protocols():
    x = np.arange(6).reshape(2, 3)
    assert x.__array_namespace__() is np
    onp.testing.assert_array_equal(x.mT.asnumpy(), onp.arange(6).reshape(2, 3).T)
    onp.testing.assert_array_equal((1 << x).asnumpy(), 1 << onp.arange(6).reshape(2, 3))
    onp.testing.assert_array_equal((x >> 1).asnumpy(), onp.arange(6).reshape(2, 3) >> 1)
    onp.testing.assert_array_equal((7 % (x + 1)).asnumpy(), 7 % (onp.arange(6).reshape(2, 3) + 1))
    with pytest.raises(AttributeError, match="GPU arrays only"):
        x.__cuda_array_interface__  # noqa: B018


def test_dlpack_round_trip_with_numpy_shares_memory():
    base = onp.arange(4.0)
    x = np.from_dlpack(base)
    base[1] = 9.0
    assert x.asnumpy()[1] == 9.0
    back = onp.from_dlpack(x)
    x[2] = -1.0
    assert back[2] == -1.0
    assert onp.shares_memory(back, base)


def test_gpu_array_exposes_cuda_array_interface_and_dlpack():
    if gk.num_gpus() == 0:
        pytest.skip("needs CuPy and a CUDA device")
    import cupy
    x = np.arange(4.0, device=gk.gpu(0))
    assert x.__cuda_array_interface__["shape"] == (4,)
    y = cupy.from_dlpack(x)
    y[0] = 5.0
    assert x.asnumpy()[0] == 5.0
    z = np.from_dlpack(cupy.arange(3.0))
    assert z.device == gk.gpu(0)


def test_array_and_asarray_of_an_ndarray_stay_in_the_graph():
    x = np.asarray([1.0, 2.0], dtype="float64").attach_grad()
    with gk.autograd.record():
        y = (np.asarray(x, dtype="float32") * np.array(x) * 2).sum()
    y.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), [4.0, 8.0])
    assert x.grad.dtype == onp.float64
    with pytest.raises(ValueError, match="copy=False"):
        np.asarray(x, dtype="int32", copy=False)


@pytest.mark.parametrize("call", [
    lambda a: a.cumsum(axis=1), lambda a: a.cumprod(), lambda a: a.argsort(axis=0),
    lambda a: a.round(1), lambda a: a.take([2, 0], axis=1), lambda a: a.repeat(2, axis=0),
    lambda a: a.diagonal(), lambda a: a.trace(), lambda a: a.conj(),
    lambda a: a.nonzero()[1], lambda a: a[0].argpartition(1)[:1], lambda a: a.real,
    lambda a: a.imag, lambda a: a.conjugate(), lambda a: a.mT,
    lambda a: onp.sort(a[:, 0]).searchsorted(a[1]) if isinstance(a, onp.ndarray)
    else np.sort(a[:, 0]).searchsorted(a[1]),
], ids=lambda c: "method")
def test_added_ndarray_methods_match_numpy(call):
    a = onp.random.default_rng(1).uniform(-2, 2, (3, 4)).round(2)
    onp.testing.assert_allclose(call(np.asarray(a)).asnumpy(), call(a))
    x = np.asarray(a)
    assert x.itemsize == a.itemsize and x.nbytes == a.nbytes
