// Multi-tensor optimizer update: every parameter of a step in one launch (Apex/PyTorch's
// multi_tensor_apply). Each block updates one chunk of one tensor; the chunk table says which.
//
// ptrs holds 5 rows of ntensors device pointers: weight (T), gradient (T), float32 master copy
// (0: the weight is float32 and updated directly), state 0 and state 1 (float32; 0 if unused).
// The arithmetic is gluonkit/optim/optimizer.py's, in float32:
//   g = clip(g * rescale);  SGD: g += wd w; mom = momentum mom - lr g; w += mom (w -= lr g)
//   NAG: g += wd w; mom = momentum mom + g; w -= lr (g + momentum mom)
//   Adam: g += wd w; m, v moments; w -= lr corr m / (sqrt(v) + eps)
//   AdamW: m, v moments; w -= lr (corr m / (sqrt(v) + eps) + wd w)
#include <cuda_fp16.h>
#include <cuda_bf16.h>

enum { OP_SGD = 0, OP_NAG = 1, OP_ADAM = 2, OP_ADAMW = 3 };

template <typename T>
__global__ void multi_tensor_update(const unsigned long long* ptrs, int ntensors,
                                    const long long* sizes, const int* chunk_tensor,
                                    const long long* chunk_start, long long chunk,
                                    const float* lr, const float* wd, const float* corr, int op,
                                    float momentum, float beta1, float beta2, float eps,
                                    float rescale, float clip) {
    const int t = chunk_tensor[blockIdx.x];
    const long long start = chunk_start[blockIdx.x];
    const long long end = min(start + chunk, sizes[t]);
    T* w = reinterpret_cast<T*>(ptrs[t]);
    const T* g = reinterpret_cast<const T*>(ptrs[ntensors + t]);
    float* master = reinterpret_cast<float*>(ptrs[2 * ntensors + t]);
    float* s0 = reinterpret_cast<float*>(ptrs[3 * ntensors + t]);
    float* s1 = reinterpret_cast<float*>(ptrs[4 * ntensors + t]);
    const float lr_t = lr[t], wd_t = wd[t], corr_t = corr[t];
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {
        float wv = master ? master[i] : static_cast<float>(w[i]);
        float gv = static_cast<float>(g[i]) * rescale;
        if (clip > 0.f) gv = fminf(fmaxf(gv, -clip), clip);
        if (op != OP_ADAMW) gv += wd_t * wv;
        if (op == OP_SGD) {
            if (s0) {
                float m = momentum * s0[i] - lr_t * gv;
                s0[i] = m;
                wv += m;
            } else {
                wv -= lr_t * gv;
            }
        } else if (op == OP_NAG) {
            float m = momentum * s0[i] + gv;
            s0[i] = m;
            wv -= lr_t * (gv + momentum * m);
        } else {
            float m = beta1 * s0[i] + (1.f - beta1) * gv;
            float v = beta2 * s1[i] + (1.f - beta2) * gv * gv;
            s0[i] = m;
            s1[i] = v;
            float dir = corr_t * m / (sqrtf(v) + eps);
            if (op == OP_ADAMW) dir += wd_t * wv;
            wv -= lr_t * dir;
        }
        if (master) master[i] = wv;
        w[i] = T(wv);
    }
}
