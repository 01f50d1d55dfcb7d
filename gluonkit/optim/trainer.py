"""``Trainer``: applies an optimizer to a set of Parameters (Gluon's API).

``step(batch_size)`` rescales gradients by 1 / batch_size (losses are per-sample sums) and
updates every parameter with a gradient. Its state saves to and loads from safetensors so a
resumed run continues exactly.
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

    def __init__(self, params, optimizer="sgd", optimizer_params: dict | None = None):
        if hasattr(params, "items"):
            items = list(params.items())
        else:
            items = [(p.name or str(i), p) for i, p in enumerate(params)]
        self._params = [(n, p) for n, p in items if p.grad_req != "null"]
        if not self._params:
            raise ValueError("Trainer got no parameters with a gradient (all grad_req='null')")
        self._optimizer = opt.create(optimizer, **(optimizer_params or {}))
        self._states: dict = {}
        self._base_rescale = self._optimizer.rescale_grad

    @property
    def optimizer(self) -> opt.Optimizer:
        return self._optimizer

    @property
    def learning_rate(self) -> float:
        return self._optimizer.learning_rate

    def set_learning_rate(self, lr: float) -> None:
        self._optimizer.set_learning_rate(lr)

    def _state(self, name, p):
        state = self._states.get(name)
        if state is None:
            w = p.data()._data
            state = self._optimizer.create_state(w)
            if self._optimizer.multi_precision and w.dtype == onp.float16:
                master = w.astype(onp.float32)
                state = self._optimizer.create_state(master)
                state["master"] = master
            self._states[name] = state
        return state

    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """One update with gradients scaled by 1 / batch_size."""
        self._optimizer.rescale_grad = self._base_rescale / batch_size
        self.update()

    def update(self) -> None:
        """One update with the optimizer's current rescale_grad."""
        o = self._optimizer
        for name, p in self._params:
            data = p.data()
            if data._grad is None:
                continue
            o.update(data._data, data._grad, self._state(name, p), p.lr_mult, p.wd_mult)
        o.num_update += 1

    def zero_grad(self) -> None:
        for _, p in self._params:
            p.zero_grad()

    # ------------------------------------------------------------------ state
    def state_arrays(self) -> dict:
        """Optimizer state as NumPy arrays (``param.name/slot``), for checkpoints."""
        out = {}
        for name, state in self._states.items():
            for slot, v in state.items():
                if hasattr(v, "shape"):
                    out[f"{name}/{slot}"] = v.get() if hasattr(v, "get") else onp.asarray(v)
        return out

    def state_meta(self) -> dict:
        """The JSON-able rest of the state: step counts and hyperparameters."""
        counters = {name: {k: v for k, v in s.items() if isinstance(v, int)}
                    for name, s in self._states.items()}
        return {"num_update": self._optimizer.num_update, "lr": self._optimizer.lr,
                "counters": counters, "optimizer": type(self._optimizer).__name__}

    def load_state_arrays(self, arrays: dict, meta: dict) -> None:
        """Restore what ``state_arrays``/``state_meta`` returned."""
        self._optimizer.num_update = meta["num_update"]
        self._optimizer.lr = meta["lr"]
        params = dict(self._params)
        self._states = {}
        for key, value in arrays.items():
            name, slot = key.rsplit("/", 1)
            if name not in params:
                raise KeyError(f"optimizer state for unknown parameter {name!r}")
            xp = params[name].data()._xp
            self._states.setdefault(name, {})[slot] = xp.asarray(value)
        for name, counters in meta.get("counters", {}).items():
            self._states.setdefault(name, {}).update(counters)

    def save_states(self, path: str) -> None:
        """Write the optimizer state to a safetensors file."""
        from gluonkit.utils.io import atomic_save_safetensors
        atomic_save_safetensors(path, self.state_arrays(), {"trainer": json.dumps(self.state_meta())})

    def load_states(self, path: str) -> None:
        from safetensors import safe_open
        from safetensors.numpy import load_file
        with safe_open(path, framework="numpy") as f:
            meta = json.loads(f.metadata()["trainer"])
        self.load_state_arrays(load_file(path), meta)
