"""The "bag of tricks" (He et al., CVPR 2019) as small library functions used by the engine."""
from __future__ import annotations

__all__ = ["scale_lr", "build_lr_scheduler", "apply_no_bias_decay", "mixup_enabled",
           "apply_finetune", "NO_DECAY_PATTERN"]

NO_DECAY_PATTERN = ".*gamma|.*beta|.*bias"


def scale_lr(lr_per_256: float, global_batch: int) -> float:
    """The linear scaling rule: lr = lr_per_256 * batch / 256."""
    if global_batch <= 0:
        raise ValueError(f"global batch size must be positive, got {global_batch}")
    return lr_per_256 * global_batch / 256.0


def build_lr_scheduler(schedule, base_lr: float, iters_per_epoch: int, epochs: int):
    """A per-iteration LR scheduler for a ScheduleConfig: warmup then cosine/step/poly/constant."""
    from gluonkit.optim import lr_scheduler as ls

    warmup = int(round(schedule.warmup_epochs * iters_per_epoch))
    total = max(epochs * iters_per_epoch, 1)
    common = dict(base_lr=base_lr, warmup_steps=warmup, warmup_begin_lr=schedule.warmup_begin_lr)
    if schedule.name == "cosine":
        return ls.CosineScheduler(max_update=total, final_lr=schedule.final_lr, **common)
    if schedule.name == "poly":
        return ls.PolyScheduler(max_update=total, pwr=schedule.power, final_lr=schedule.final_lr,
                                **common)
    if schedule.name == "step":
        steps = [int(e * iters_per_epoch) for e in schedule.step_epochs]
        return ls.MultiStepScheduler(step=steps, factor=schedule.step_factor, **common)
    return ls.MultiStepScheduler(step=[total + 1], factor=1.0, **common)


def apply_no_bias_decay(net) -> int:
    """Set wd_mult = 0 on every bias and batch-norm gamma/beta; returns how many."""
    params = net.collect_params(NO_DECAY_PATTERN)
    params.setattr("wd_mult", 0.0)
    return len(params)


def mixup_enabled(alpha: float, epoch: int, epochs: int, off_epochs: int) -> bool:
    """Mixup runs while alpha > 0, except in the last ``off_epochs`` epochs."""
    return alpha > 0 and epoch < epochs - off_epochs



def apply_finetune(net, finetune) -> None:
    """Transfer-learning knobs: a smaller LR for the backbone (``lr_mult``), a frozen backbone,
    frozen batch-norm statistics. The classifier (``default_cfg['classifier']``) and auxiliary
    heads stay fully trainable."""
    from gluonkit import nn

    heads = (net.default_cfg["classifier"] + ".", "aux1.", "aux2.", "AuxLogits.")
    for name, p in net.collect_params().items():
        if name.startswith(heads) or p.grad_req == "null":
            continue
        p.lr_mult = finetune.backbone_lr_mult
        if finetune.freeze_backbone:
            p.grad_req = "null"
    if finetune.freeze_bn:
        def freeze(block):
            if isinstance(block, nn.BatchNorm):
                block._use_global_stats = True
                block.gamma.grad_req = block.beta.grad_req = "null"
        net.apply(freeze)
