"""Something real learns, through the public API only: FizzBuzz and handwritten digits."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, nn
from gluonkit.loss import SoftmaxCrossEntropyLoss
from gluonkit.metric import Accuracy
from gluonkit.optim import Trainer


def fizzbuzz_label(i: int) -> int:
    return 3 if i % 15 == 0 else 2 if i % 5 == 0 else 1 if i % 3 == 0 else 0


def binary(i: int, bits: int = 10):
    return [(i >> b) & 1 for b in range(bits)]


def fit(net, x, y, epochs, batch, trainer, seed=0):
    loss_fn = SoftmaxCrossEntropyLoss()
    rng = onp.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), batch):
            idx = order[s:s + batch]
            xb, yb = gk.np.array(x[idx]), gk.np.array(y[idx])
            with autograd.record():
                loss = loss_fn(net(xb), yb)
            loss.backward()
            trainer.step(len(idx))


def accuracy(net, x, y):
    metric = Accuracy()
    metric.update(y, net(gk.np.array(x)))
    return metric.get()[1]


def test_mlp_learns_fizzbuzz():
    gk.random.seed(0)
    train = onp.arange(101, 1024)
    test = onp.arange(1, 101)
    x_train = onp.array([binary(i) for i in train], dtype="float32")
    y_train = onp.array([fizzbuzz_label(i) for i in train])
    x_test = onp.array([binary(i) for i in test], dtype="float32")
    y_test = onp.array([fizzbuzz_label(i) for i in test])
    net = nn.Sequential(nn.Dense(256, activation="relu"), nn.Dense(4))
    net.initialize()
    trainer = Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    fit(net, x_train, y_train, epochs=300, batch=128, trainer=trainer)
    acc = accuracy(net, x_test, y_test)
    print(f"FizzBuzz held-out accuracy: {acc:.3f}")
    assert acc >= 0.95


def test_convnet_learns_sklearn_digits():
    # 1,797 real 8x8 scans of handwritten digits shipped inside scikit-learn (the test extra).
    digits = pytest.importorskip("sklearn.datasets").load_digits()
    x = (digits.images / 16.0).astype("float32")[:, None]
    y = digits.target
    order = onp.random.default_rng(0).permutation(len(x))
    train, test = order[:1400], order[1400:]
    gk.random.seed(0)
    net = nn.Sequential(
        nn.Conv2D(16, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2),
        nn.Conv2D(32, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2),
        nn.Flatten(), nn.Dense(10))
    net.initialize(nn.init.MSRAPrelu())
    trainer = Trainer(net.collect_params(), "sgd",
                      {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4})
    fit(net, x[train], y[train], epochs=8, batch=32, trainer=trainer)
    acc = accuracy(net, x[test], y[test])
    print(f"digits held-out accuracy: {acc:.3f}")
    assert acc >= 0.95
