"""``net.summary(x)``: every layer's output shape and parameters, and the model's totals.

Each block's ``forward`` is wrapped for one predict-mode call (and restored after), recording
the output shape of every call. Totals come from ``collect_params()``: trainable parameters,
batch-norm running statistics apart (they are buffers, not learned), and any other frozen
array. Multiply-adds count the convolutions and dense layers at this input: a conv's output
elements times its weight's fan-in (``cin / groups * kh * kw``), a dense layer's outputs times its
inputs; batch norm, activations, pooling and bias adds are not counted (torchvision's and
fvcore's convention: ResNet-50 at 224 is 4.09 GMACs).
"""
from __future__ import annotations

__all__ = ["summary", "count_parameters"]


def _shape(out) -> str:
    if isinstance(out, (list, tuple)):
        return "[" + ", ".join(_shape(o) for o in out) + "]"
    return str(tuple(out.shape)) if hasattr(out, "shape") else type(out).__name__


def _own_params(net) -> dict:
    """Dotted block name -> elements of the parameters it holds itself (not its children's)."""
    out: dict = {}
    for name, p in net.named_parameters():
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        out[owner] = out.get(owner, 0) + p.data().size
    return out


def _macs(block, out) -> int:
    from .basic_layers import Dense
    from .conv_layers import Conv2D

    if isinstance(block, (Conv2D, Dense)):
        fan_in = 1
        for d in block.weight.shape[1:]:
            fan_in *= d
        return int(out.size) * fan_in
    return 0


def count_parameters(net) -> dict:
    """{'trainable', 'bn_statistics', 'frozen', 'total'} element counts of ``net``'s arrays."""
    from .norm_layers import BatchNorm

    stats = set()
    net.apply(lambda b: stats.update((id(b.running_mean), id(b.running_var)))
              if isinstance(b, BatchNorm) else None)
    counts = {"trainable": 0, "bn_statistics": 0, "frozen": 0}
    for p in net.collect_params().values():
        key = "bn_statistics" if id(p) in stats else \
            "trainable" if p.grad_req != "null" else "frozen"
        counts[key] += p.data().size
    counts["total"] = sum(counts.values())
    return counts


def _named_blocks(net):
    out, seen, stack = [], set(), [("", net, 0)]
    while stack:
        name, block, depth = stack.pop()
        if id(block) in seen:
            continue
        seen.add(id(block))
        out.append((name, block, depth))
        children = [(f"{name}.{n}" if name else n, c, depth + 1)
                    for n, c in block.named_children()]
        stack.extend(reversed(children))
    return out


def summary(net, *inputs, print_fn=print) -> dict:
    """Run ``net(*inputs)`` once in predict mode; print and return the table and totals.

    Returns ``{'rows': [(name, type, output shape, own parameters, MACs)], 'trainable',
    'bn_statistics', 'frozen', 'total', 'macs'}``; ``print_fn=None`` prints nothing.

    Example::

        net = get_model("resnet50_v1b")
        net.summary(gluonkit.np.zeros((1, 3, 224, 224)))   # 25,557,032 trainable, 4.09 GMACs
    """
    from gluonkit import autograd

    calls = []
    blocks = _named_blocks(net)
    originals = []

    def wrap(name, block, depth, forward):
        def recorded(*args, **kwargs):
            out = forward(*args, **kwargs)
            calls.append((name, type(block).__name__, _shape(out), _macs(block, out), depth))
            return out
        return recorded

    try:
        for name, block, depth in blocks:
            originals.append((block, block.__dict__.get("forward")))
            object.__setattr__(block, "forward", wrap(name, block, depth, block.forward))
        with autograd.predict_mode():
            net(*inputs)
    finally:
        for block, own in originals:
            if own is None:
                object.__delattr__(block, "forward")
            else:
                object.__setattr__(block, "forward", own)
    own = _own_params(net)
    order = {name: i for i, (name, _, _) in enumerate(blocks)}
    calls.sort(key=lambda c: order[c[0]])  # outer blocks finish last: list them first
    rows = [(name or kind, kind, shape, own.get(name, 0), macs, depth)
            for name, kind, shape, macs, depth in calls]
    result = {"rows": [r[:5] for r in rows], **count_parameters(net),
              "macs": sum(r[4] for r in rows)}
    if print_fn is not None:
        print_fn(_format(rows, result))
    return result


def _format(rows, totals) -> str:
    lines = [f"{'Layer (type)':<56} {'Output shape':<28} {'Param #':>12}", "=" * 98]
    for name, kind, shape, n, _, depth in rows:
        label = ("  " * depth + f"{name.rsplit('.', 1)[-1]} ({kind})")[:56]
        lines.append(f"{label:<56} {shape[:28]:<28} {n:>12,}")
    lines += ["=" * 98,
              f"Trainable parameters: {totals['trainable']:,}",
              f"Batch-norm statistics (running mean/var): {totals['bn_statistics']:,}",
              f"Other frozen parameters: {totals['frozen']:,}",
              f"Total arrays: {totals['total']:,}",
              f"Multiply-adds: {totals['macs']:,} ({totals['macs'] / 1e9:.3f} G)"]
    return "\n".join(lines)
