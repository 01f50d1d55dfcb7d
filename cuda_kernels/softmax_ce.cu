// Softmax cross-entropy forward, one block per row of (N, C) logits (shared-memory reductions).
//
// For a row x with smoothed target t' (hard: (1 - eps) one_hot(label) + eps / C; soft:
// (1 - eps) t + eps / C) the loss is lse * sum(t') - sum(t' * x), lse = max + log sum exp(x - max).
// The row's lse is written out: backward is the elementwise softmax_ce_bwd (softmax_ce.py).
// T is the logits' type (float or double); accumulation is in T.

template <typename T>
__device__ T block_reduce(T v, T* shared, bool is_max) {
    // Tree reduction over blockDim.x (a power of two) through shared memory.
    shared[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            T o = shared[threadIdx.x + s];
            T m = shared[threadIdx.x];
            shared[threadIdx.x] = is_max ? (o > m ? o : m) : m + o;
        }
        __syncthreads();
    }
    T r = shared[0];
    __syncthreads();  // the next reduction reuses the buffer
    return r;
}

template <typename T>
__global__ void softmax_ce_fwd(const T* x, const long long* label, const T* soft, int n, int c,
                               T eps, T* loss, T* lse_out) {
    extern __shared__ __align__(8) unsigned char smem[];
    T* shared = reinterpret_cast<T*>(smem);
    const int row = blockIdx.x;
    if (row >= n) return;
    const T* xr = x + (long long)row * c;
    T m = xr[0];
    for (int j = threadIdx.x; j < c; j += blockDim.x) m = xr[j] > m ? xr[j] : m;
    m = block_reduce<T>(m, shared, true);
    T s = 0, sx = 0, stx = 0, st = 0;
    const T* tr = soft ? soft + (long long)row * c : nullptr;
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
        T v = xr[j];
        s += exp(v - m);
        if (tr) {
            T t = (1 - eps) * tr[j] + eps / c;
            stx += t * v;
            st += t;
        } else {
            sx += v;
        }
    }
    s = block_reduce<T>(s, shared, false);
    sx = block_reduce<T>(sx, shared, false);
    stx = block_reduce<T>(stx, shared, false);
    st = block_reduce<T>(st, shared, false);
    if (threadIdx.x == 0) {
        T lse = m + log(s);
        if (!tr) {  // hard label: sum(t') = 1
            st = 1;
            stx = (1 - eps) * xr[label[row]] + eps / c * sx;
        }
        loss[row] = lse * st - stx;
        lse_out[row] = lse;
    }
}
