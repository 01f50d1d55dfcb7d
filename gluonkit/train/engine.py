"""The training loop behind ``scripts/train.py``: one function, ``fit(cfg)``.

It wires a Config into a model, data, optimizer and schedule, then runs epochs with progress
bars and one line per epoch, JSON-lines logging (and TensorBoard if asked), atomic checkpoints
(last and best), resume, and a curve plot.
"""
from __future__ import annotations

import json
import math
import os
import time

import numpy as onp

import gluonkit as gk
from gluonkit import autograd, metric
from gluonkit.core.dtypes import resolve as resolve_dtype
from gluonkit.loss import DistillationLoss, SoftmaxCrossEntropyLoss
from gluonkit.optim import Trainer
from gluonkit.utils.errors import Interrupted, UserError

from . import distributed, tricks
from .checkpoint import CheckpointNotFoundError, load_checkpoint, save_checkpoint
from .config import Config, ConfigError, config_to_dict
from .data_setup import build_loaders, to_device
from .device import blas_threads, parse_device, resolve_device
from .heads import HeadLoss
from .plot import plot_curves
from .progress import epoch_bar, epoch_line, show_bars
from .run_dir import dataset_name

__all__ = ["fit", "evaluate", "evaluate_checkpoint", "NonFiniteLossError", "parse_device",
           "build_model"]


class NonFiniteLossError(UserError, RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


def build_model(cfg: Config, classes: int, device):
    """The zoo model named in the config, with zero-gamma when the family supports it."""
    from gluonkit.model_zoo import get_model

    kwargs = dict(cfg.model.kwargs)
    if cfg.tricks.last_gamma:
        kwargs["last_gamma"] = True
    if cfg.model.sync_bn:
        kwargs["norm_layer"] = distributed.sync_norm_layer(cfg.model.name)
    net = get_model(cfg.model.name, classes=classes, pretrained=cfg.model.pretrained,
                    device=device, **kwargs)
    tricks.apply_finetune(net, cfg.finetune)
    return net


def _optimizer(cfg: Config, lr: float, scheduler, dtype: str):
    o = cfg.optim
    params = {"learning_rate": lr, "wd": o.wd, "lr_scheduler": scheduler,
              "multi_precision": dtype != "float32"}
    if o.clip_gradient is not None:
        params["clip_gradient"] = o.clip_gradient
    if o.name in ("sgd", "nag"):
        params["momentum"] = o.momentum
    return o.name, params


def evaluate(net, loader, device, loss_fn=None, max_steps=None, classes=None) -> dict:
    """Loss, top-1 and top-5 (fractions) of ``net`` on a loader, in predict mode; top-5 only
    when there are more than 5 classes (it is always 1.0 otherwise)."""
    top1 = metric.Accuracy()
    top5 = metric.TopKAccuracy(5) if classes is None or classes > 5 else None
    losses = metric.Loss()
    loss_fn = loss_fn or SoftmaxCrossEntropyLoss()
    with autograd.predict_mode():
        for i, (x, y) in enumerate(loader):
            if max_steps is not None and i >= max_steps:
                break
            x, y = to_device(x, device), to_device(y, device)
            out = net(x)
            losses.update(None, loss_fn(out, y))
            top1.update(y, out)
            if top5 is not None:
                top5.update(y, out)
    result = {"val_loss": losses.get()[1], "val_top1": top1.get()[1]}
    if top5 is not None:
        result["val_top5"] = top5.get()[1]
    return result


def evaluate_checkpoint(cfg: Config, checkpoint: str | None = None, pretrained=False) -> dict:
    """Evaluate the config's model with a training checkpoint or pretrained weights."""
    device, _ = resolve_device(cfg.train.device, cfg.train.dtype, log=print)
    _, val_loader, classes = build_loaders(cfg, train=False)
    if checkpoint:
        cfg.model.pretrained = False
        net = build_model(cfg, classes, device)
        model_state, _, _ = load_checkpoint(checkpoint)
        net.load_state_dict(model_state)
    else:
        cfg.model.pretrained = pretrained
        net = build_model(cfg, classes, device)
    result = evaluate(net, val_loader, device, max_steps=cfg.eval.max_steps, classes=classes)
    result["images"] = len(val_loader.dataset)
    return result


def _teacher(cfg: Config, classes: int, device):
    if not cfg.tricks.teacher:
        return None
    from gluonkit.model_zoo import get_model
    return get_model(cfg.tricks.teacher, classes=classes, pretrained=cfg.tricks.teacher_pretrained,
                     device=device)


def fit(cfg: Config, resume: bool = False, log=print) -> dict:
    """Train per the config; returns the last epoch's log record plus ``best_epoch``,
    ``best_val_top1`` and ``output_dir`` (where checkpoints, log and plots went).

    With ``train.distributed`` (under ``mpiexec``) every rank runs this; rank 0 alone logs and
    writes files, and a rank that raises ends the others.
    """
    ranks = distributed.setup(cfg.train)
    with ranks.guard(), blas_threads(cfg.train.blas_threads):
        return _fit(cfg, resume, ranks.main_only(log), ranks)


def _fit(cfg: Config, resume: bool, log, ranks) -> dict:
    t = cfg.train
    gk.random.seed(t.seed)
    device, dtype = resolve_device(t.device, t.dtype, log)
    device = ranks.device(device)
    train_loader, val_loader, classes = build_loaders(cfg, rank=ranks.rank, ranks=ranks.size)
    _check_not_empty(cfg, train_loader, val_loader, log)
    net = build_model(cfg, classes, device)
    ranks.broadcast_parameters(net)
    if dtype != "float32":
        net.cast(resolve_dtype(dtype))
    if cfg.optim.no_bias_decay:
        tricks.apply_no_bias_decay(net)
    if t.hybridize:
        net.hybridize(static_alloc=True)
    iters = len(train_loader)
    if t.max_steps_per_epoch:
        iters = min(iters, t.max_steps_per_epoch)
    epochs = _epochs_for(cfg, iters, log)
    # Raised epochs keep about as many evaluations as the recipe asked for.
    every = max(cfg.eval.every_epochs, epochs // max(t.epochs, 1))
    batch = ranks.global_batch(train_loader.batch_size)
    lr = tricks.scale_lr(cfg.optim.lr_per_256, batch)
    scheduler = tricks.build_lr_scheduler(cfg.schedule, lr, iters, epochs)
    trainer = Trainer(net.collect_params(), *_optimizer(cfg, lr, scheduler, dtype),
                      reduce_gradients=ranks.reducer)
    scaler = ranks.loss_scaler() if dtype == "float16" else None
    soft = cfg.tricks.mixup_alpha > 0 or cfg.tricks.cutmix_alpha > 0
    loss_fn = SoftmaxCrossEntropyLoss(sparse_label=not soft,
                                      label_smoothing=cfg.loss.label_smoothing)
    teacher = _teacher(cfg, classes, device)
    distill = (DistillationLoss(temperature=cfg.tricks.temperature,
                                hard_weight=cfg.tricks.hard_weight) if teacher else None)
    out_dir = t.output_dir = ranks.output_dir(cfg, resume)
    log(f"gluonkit: {cfg.model.name} on {cfg.data.dataset} ({len(train_loader.dataset)} images"
        f"), {epochs} epochs of {iters} iterations, batch {batch}, lr {lr:.4g} (lr_per_256 "
        f"{cfg.optim.lr_per_256} x {batch}/256), device {device}, output in {out_dir}")
    if ranks.size > 1:
        log(f"distributed: global batch {batch} = {ranks.size} ranks x "
            f"{train_loader.batch_size}; {ranks.describe()}")
    last_path = os.path.join(out_dir, "last.safetensors")
    best_path = os.path.join(out_dir, "best.safetensors")
    log_path = os.path.join(out_dir, "log.jsonl")
    start_epoch, best, records = 0, -1.0, []
    if resume:
        start_epoch, best, records = _resume(last_path, net, trainer, log_path, scaler,
                                             rewrite_log=ranks.is_main)
        log(f"resumed from {last_path} at epoch {start_epoch}")
    elif os.path.exists(log_path) and ranks.is_main:
        os.remove(log_path)
    board = _tensorboard(t, out_dir) if ranks.is_main else None
    resolved = config_to_dict(cfg)
    bars = show_bars(t.progress) and ranks.is_main  # one progress bar, rank 0's
    heads = HeadLoss(cfg, net, loss_fn)
    record = records[-1] if records else {}
    epoch = saved = start_epoch
    try:
        for epoch in range(start_epoch, epochs):
            mix = tricks.mixup_enabled(cfg.tricks.mixup_alpha or cfg.tricks.cutmix_alpha, epoch,
                                       epochs, cfg.tricks.mixup_off_epochs)
            stats = _train_epoch(net, trainer, scaler, train_loader, heads, cfg, device, dtype,
                                 epoch, epochs, iters, mix, classes, teacher, distill, bars,
                                 ranks.seed)
            record = {"epoch": epoch + 1, **ranks.combine_train(stats),
                      "lr": trainer.learning_rate}
            if (epoch + 1) % every == 0 or epoch + 1 == epochs:
                result = evaluate(net, val_loader, device, max_steps=cfg.eval.max_steps,
                                  classes=classes)
                record.update(ranks.combine_eval(result,
                                                 _images(val_loader, cfg.eval.max_steps)))
            records.append(record)
            if not ranks.is_main:
                continue
            with open(log_path, "a") as f:
                f.write(json.dumps(record) + "\n")
            if board is not None:
                board.write(record)
            top1 = record.get("val_top1", -1.0)
            meta = {"epoch": epoch + 1, "step": (epoch + 1) * iters, "seed": t.seed,
                    "best_top1": max(best, top1), "config": resolved,
                    "rng": gk.random.get_state(), "trainer": trainer.state_meta(),
                    "loss_scaler": scaler.state_dict() if scaler else None}
            save_checkpoint(last_path, net.state_dict(), trainer.state_arrays(), meta)
            saved = epoch + 1
            if top1 > best:
                best = top1
                save_checkpoint(best_path, net.state_dict(), {}, meta)
            log(epoch_line(record, epochs))
    except KeyboardInterrupt:
        kept = (f"the last checkpoint is {last_path} (epoch {saved}); continue with --resume"
                if saved else "no checkpoint was written yet")
        raise Interrupted(f"stopped during epoch {epoch + 1}; {kept}") from None
    finally:
        if board is not None:
            board.close()
    if ranks.is_main:
        plot_curves(records, os.path.join(out_dir, "curves.png"), title=_plot_title(cfg))
    return {**record, **_best(records), "output_dir": out_dir}


def _images(loader, max_steps) -> int:
    """How many images ``evaluate`` reads from ``loader`` (this rank's shard)."""
    n = len(loader.sampler) if loader.sampler is not None else len(loader.dataset)
    return n if max_steps is None else min(n, max_steps * loader.batch_size)


def _check_not_empty(cfg: Config, train_loader, val_loader, log) -> None:
    """Zero training steps is an error, never a result; a batch larger than the training set
    shrinks to it, and images a discarded last batch leaves out are counted, each with a note."""
    n = len(train_loader.dataset)
    if n == 0 or len(val_loader.dataset) == 0:
        split = "training" if n == 0 else "validation"
        raise ConfigError(f"the {split} split of {cfg.data.dataset} ({cfg.data.root}) has no "
                          "images: add images, or change data.val_split")
    if train_loader.batch_size < cfg.train.batch_size:
        log(f"note: {n} training images, fewer than train.batch_size={cfg.train.batch_size}; "
            f"training with batches of {train_loader.batch_size}")
    dropped = n % train_loader.batch_size if cfg.train.last_batch == "discard" else 0
    if dropped:
        log(f"note: train.last_batch=discard: {dropped} of the {n} training images (a different "
            "few each epoch) are left out of each epoch")


def _epochs_for(cfg: Config, iters: int, log) -> int:
    """``train.epochs``, raised on a small dataset to reach ``finetune.min_steps`` steps; a run
    capped by ``train.max_steps_per_epoch`` (a dry run) keeps its epochs."""
    epochs = cfg.train.epochs
    wanted = cfg.finetune.min_steps
    if wanted and not cfg.train.max_steps_per_epoch and epochs * iters < wanted:
        epochs = math.ceil(wanted / iters)
        log(f"note: {iters} iterations per epoch; training {epochs} epochs instead of "
            f"{cfg.train.epochs} to make finetune.min_steps={wanted} steps")
    return epochs


def _best(records: list) -> dict:
    scored = [r for r in records if "val_top1" in r]
    if not scored:
        return {}
    top = max(scored, key=lambda r: r["val_top1"])  # the first of equals: the earliest epoch
    return {"best_epoch": top["epoch"], "best_val_top1": top["val_top1"]}


def _plot_title(cfg: Config) -> str:
    recipe = f", {cfg.recipe}" if cfg.recipe else ""
    return f"{cfg.model.name} on {dataset_name(cfg)}{recipe}"


def _tensorboard(t, out_dir):
    if not t.tensorboard:
        return None
    from .tensorboard import ScalarWriter
    return ScalarWriter(out_dir)


def _resume(path, net, trainer, log_path, scaler=None, rewrite_log: bool = True):
    if not os.path.exists(path):
        raise CheckpointNotFoundError(f"--resume: no checkpoint at {path}; train once without "
                                      "--resume")
    model_state, optim_state, meta = load_checkpoint(path)
    net.load_state_dict(model_state)
    trainer.load_state_arrays(optim_state, meta["trainer"])
    if scaler is not None and meta.get("loss_scaler"):
        scaler.load_state_dict(meta["loss_scaler"])
    gk.random.set_state(meta["rng"])
    records = []
    if rewrite_log and os.path.exists(log_path):  # rank 0's file: the others never read it
        with open(log_path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        records = [r for r in records if r["epoch"] <= meta["epoch"]]
        with open(log_path, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in records)
    return meta["epoch"], meta["best_top1"], records


def _train_epoch(net, trainer, scaler, loader, heads, cfg, device, dtype, epoch, epochs, iters,
                 mix, classes, teacher, distill, bars, rank_seed=int) -> dict:
    from gluonkit.data import cutmix, mixup

    t = cfg.train
    # Seeded from (seed, epoch) so that a resumed run repeats an uninterrupted one exactly;
    # ``rank_seed`` gives each rank of a distributed run its own draws.
    gk.random.seed(rank_seed(t.seed * 1000003 + epoch))
    mix_rng = onp.random.default_rng([rank_seed(t.seed), epoch, 1])
    loader.set_epoch(epoch)
    loss_sum, correct, seen = 0.0, 0, 0
    wait, tick = 0.0, time.perf_counter()
    start = tick
    bar = epoch_bar(iters, epoch + 1, epochs, bars)
    try:
        for step, (x, y) in enumerate(loader):
            if step >= iters:
                break
            wait += time.perf_counter() - tick
            hard = y
            target = y
            if mix:
                fn = cutmix if cfg.tricks.cutmix_alpha > 0 else mixup
                alpha = cfg.tricks.cutmix_alpha or cfg.tricks.mixup_alpha
                x, target = fn(x, y, classes, alpha, rng=mix_rng)
            elif not heads.sparse_label:
                target = onp.eye(classes, dtype="float32")[y]
            x, target = to_device(x, device, resolve_dtype(dtype)), to_device(target, device)
            with autograd.record():
                out, aux = heads.split(net(x))
                loss = heads.loss_fn(out, target)
                if teacher is not None:
                    with autograd.pause():
                        soft = teacher(x)
                    loss = distill(out, to_device(hard, device), soft)
                if aux:
                    loss = loss + heads.aux(aux, target)
                # float16: backward runs on the scaled loss; the scaler skips overflowing steps
                head = scaler.scale(loss) if scaler else loss
            head.backward()
            value = float(loss.mean().item())
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"loss is {value} at epoch {epoch + 1}, step {step} "
                    f"(lr {trainer.learning_rate:.4g});"
                    " lower optim.lr_per_256, add warmup (schedule.warmup_epochs) or check the "
                    "data. The last good checkpoint is kept in " + t.output_dir)
            if scaler:
                scaler.step(trainer, x.shape[0])
            else:
                trainer.step(x.shape[0])
            n = x.shape[0]
            loss_sum += value * n
            correct += int((out.argmax(axis=1).asnumpy() == onp.asarray(hard)).sum())
            seen += n
            elapsed = time.perf_counter() - start
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}",
                            img_s=f"{seen / max(elapsed, 1e-9):.0f}")
            bar.update(1)
            tick = time.perf_counter()
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    return {"train_loss": loss_sum / max(seen, 1), "train_acc": correct / max(seen, 1),
            "images_per_s": seen / max(elapsed, 1e-9), "data_wait": wait / max(elapsed, 1e-9),
            "time_s": elapsed}
