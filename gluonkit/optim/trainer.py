"""``Trainer``: applies an optimizer to a set of Parameters (Gluon's API).

``step(batch_size)`` rescales gradients by 1 / batch_size (losses are per-sample, their sum is
what backward sees) and updates every parameter that has a gradient. Its state saves to and
loads from safetensors, so a resumed run continues exactly.
"""
from __future__ import annotations

import json

import numpy as onp

from . import optimizer as opt

__all__ = ["Trainer"]


class Trainer:
    """Example::

        trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])
    """

    def __init__(self, params, optimizer="sgd", optimizer_params: dict | None = None,
                 reduce_gradients=None):
        """``reduce_gradients(params, fresh) -> fresh``, if given, runs before each update: a
        data-parallel run averages the gradients over ranks there and returns which parameters
        every rank updates (``gluonkit.dist.GradientReducer``)."""
        # State is saved by parameter name: dotted names from collect_params, else positions.
        items = list(params.items()) if hasattr(params, "items") else \
            [(str(i), p) for i, p in enumerate(params)]
        self._params = [(n, p) for n, p in items if p.grad_req != "null"]
        if not self._params:
            raise ValueError("Trainer got no parameters with a gradient (all grad_req='null')")
        self._optimizer = opt.create(optimizer, **(optimizer_params or {}))
        self._base_rescale = self._optimizer.rescale_grad
        self._states: dict = {}
        self._reduce_gradients = reduce_gradients

    @property
    def optimizer(self) -> opt.Optimizer:
        return self._optimizer

    @property
    def params(self) -> list:
        """The Parameters this Trainer updates (those with a gradient)."""
        return [p for _, p in self._params]

    @property
    def learning_rate(self) -> float:
        return self._optimizer.learning_rate

    def set_learning_rate(self, lr: float) -> None:
        self._optimizer.set_learning_rate(lr)

    def step(self, batch_size: float) -> None:
        """One update with gradients scaled by 1 / batch_size (times the base rescale_grad)."""
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self._optimizer.rescale_grad = self._base_rescale / batch_size
        self.update()

    def update(self) -> None:
        """One update with the optimizer's current ``rescale_grad``.

        A parameter whose gradient no backward has written since the last update is skipped
        (as PyTorch skips parameters without a gradient), so a branch left out of this step's
        graph does not reapply an old gradient.
        """
        o = self._optimizer
        live = [(name, p) for name, p in self._params if p.data().grad is not None]
        fresh = [p.data().grad_is_fresh for _, p in live]
        if self._reduce_gradients is not None:
            fresh = self._reduce_gradients([p for _, p in live], fresh)
        entries = []
        for (name, p), is_fresh in zip(live, fresh):
            if not is_fresh:
                continue
            data = p.data()
            data.mark_grad_consumed()
            state = self._states.get(name)
            if state is None:
                state = self._states[name] = o.create_state(data.raw)
            entries.append((data.raw, data.grad.raw, state, p.lr_mult, p.wd_mult))
        o.update_many(entries)
        o.num_update += 1

    def zero_grad(self) -> None:
        for _, p in self._params:
            p.zero_grad()

    # ------------------------------------------------------------------ state
    def state_arrays(self) -> dict:
        """Optimizer state as NumPy arrays named ``<param name>/<slot>``, for checkpoints."""
        out = {}
        for name, state in self._states.items():
            for slot, v in state.items():
                if hasattr(v, "shape"):
                    out[f"{name}/{slot}"] = v.get() if hasattr(v, "get") else onp.asarray(v)
        return out

    def state_meta(self) -> dict:
        """The JSON-able rest: update count, per-parameter step counters, hyperparameters."""
        o = self._optimizer
        counters = {name: {k: v for k, v in s.items() if isinstance(v, int)}
                    for name, s in self._states.items()}
        return {"optimizer": type(o).__name__, "num_update": o.num_update, "lr": o.lr,
                "counters": counters, "hyperparameters": o.hyperparameters()}

    def load_state_arrays(self, arrays: dict, meta: dict) -> None:
        """Restore what ``state_arrays``/``state_meta`` returned (on the parameters' devices)."""
        o = self._optimizer
        if meta["optimizer"] != type(o).__name__:
            raise ValueError(f"the saved state is for {meta['optimizer']}, this Trainer runs "
                             f"{type(o).__name__}")
        params = dict(self._params)
        states: dict = {}
        for key, value in arrays.items():
            name, slot = key.rsplit("/", 1)
            if name not in params:
                raise KeyError(f"optimizer state for unknown parameter {name!r}; the saved run "
                               "had different parameters")
            xp = params[name].data()._xp
            states.setdefault(name, {})[slot] = xp.array(value)
        for name, counters in meta.get("counters", {}).items():
            states.setdefault(name, {}).update(counters)
        o.num_update, o.lr = meta["num_update"], meta["lr"]
        self._states = states

    def save_states(self, path: str) -> None:
        """Write the optimizer state to a safetensors file (JSON metadata under 'trainer')."""
        from gluonkit.utils.io import atomic_save_safetensors
        atomic_save_safetensors(path, self.state_arrays(),
                                {"trainer": json.dumps(self.state_meta())})

    def load_states(self, path: str) -> None:
        """Read what ``save_states`` wrote."""
        from safetensors import safe_open
        from safetensors.numpy import load_file
        with safe_open(path, framework="numpy") as f:
            meta = (f.metadata() or {}).get("trainer")
        if meta is None:
            raise ValueError(f"{path} holds no Trainer state (no 'trainer' metadata); write it "
                             "with Trainer.save_states")
        self.load_state_arrays(load_file(path), json.loads(meta))
