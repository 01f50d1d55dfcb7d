"""Naive NumPy loop references for the fused ops (small inputs only; never the op itself)."""
import numpy as onp


def conv2d(x, W, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, w = x.shape
    o, cg, kh, kw = W.shape
    (sy, sx), (ph, pw), (dy, dx) = stride, padding, dilation
    xpad = onp.zeros((n, c, h + 2 * ph, w + 2 * pw), x.dtype)
    xpad[:, :, ph:ph + h, pw:pw + w] = x
    oh = (h + 2 * ph - dy * (kh - 1) - 1) // sy + 1
    ow = (w + 2 * pw - dx * (kw - 1) - 1) // sx + 1
    y = onp.zeros((n, o, oh, ow), x.dtype)
    og = o // groups
    for b_ in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0
                    for ci in range(cg):
                        for u in range(kh):
                            for v in range(kw):
                                acc += (W[oc, ci, u, v] *
                                        xpad[b_, g * cg + ci, i * sy + u * dy, j * sx + v * dx])
                    y[b_, oc, i, j] = acc + (0 if b is None else b[oc])
    return y


def _out(size, k, s, p, ceil):
    span = size + 2 * p - k
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def max_pool2d(x, k, s, p, ceil=False):
    n, c, h, w = x.shape
    oh, ow = _out(h, k, s, p, ceil), _out(w, k, s, p, ceil)
    y = onp.empty((n, c, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - p, j * s - p
            win = x[:, :, max(r0, 0):min(r0 + k, h), max(c0, 0):min(c0 + k, w)]
            y[:, :, i, j] = win.max(axis=(2, 3))
    return y


def avg_pool2d(x, k, s, p, ceil=False, count_include_pad=True):
    n, c, h, w = x.shape
    oh, ow = _out(h, k, s, p, ceil), _out(w, k, s, p, ceil)
    y = onp.empty((n, c, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - p, j * s - p
            r1, c1 = min(r0 + k, h + p), min(c0 + k, w + p)
            size = (r1 - r0) * (c1 - c0)
            win = x[:, :, max(r0, 0):min(r1, h), max(c0, 0):min(c1, w)]
            if not count_include_pad:
                size = win.shape[2] * win.shape[3]
            y[:, :, i, j] = win.sum(axis=(2, 3)) / size
    return y


def adaptive_avg_pool2d(x, out):
    n, c, h, w = x.shape
    y = onp.empty((n, c, out, out), x.dtype)
    for i in range(out):
        for j in range(out):
            r0, r1 = (i * h) // out, -(-((i + 1) * h) // out)
            c0, c1 = (j * w) // out, -(-((j + 1) * w) // out)
            y[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return y


def batch_norm_train(x, gamma, beta, eps=1e-5):
    y = onp.empty_like(x)
    for ch in range(x.shape[1]):
        v = x[:, ch]
        m = v.sum() / v.size
        var = ((v - m) ** 2).sum() / v.size
        y[:, ch] = gamma[ch] * (v - m) / onp.sqrt(var + eps) + beta[ch]
    return y


def softmax_cross_entropy(x, t, eps=0.0):
    n, c = x.shape
    loss = onp.empty(n)
    for i in range(n):
        logp = x[i] - onp.log(onp.exp(x[i]).sum())
        target = t[i] if t.ndim == 2 else onp.eye(c)[t[i]]
        target = (1 - eps) * target + eps / c
        loss[i] = -(target * logp).sum()
    return loss
