"""gluonkit.cuda_kernels: fused CUDA kernels for the hot paths of the CuPy backend.

Each module holds kernels beside the NumPy formula (in ``core/ops`` or ``gluonkit/optim``) they
replace; nothing is compiled or imported from CuPy until a kernel is first called (``build.py``).

- ``softmax_ce``: softmax cross-entropy, hard labels with label smoothing or soft targets
  (``softmax_ce.cu``: one block per row);
- ``batchnorm``: batch norm (+ReLU) training forward and backward;
- ``elementwise``: add+ReLU (the graph's fused chain) and the split-attention softmax;
- ``multi_tensor``: SGD/NAG/Adam/AdamW for every parameter in one launch (``multi_tensor.cu``).

CuPy kernels rather than numba-cuda: they compile through NVRTC into CuPy's own launch path
(microseconds per launch, no JIT of Python), take strides and broadcasting for free, and the
``.cu`` files compile with nvcc in CI (tests/cuda_kernels/test_nvcc.py), which also compiles every
elementwise/reduction body; numba's CUDA simulator would only cover numba kernels.
"""
