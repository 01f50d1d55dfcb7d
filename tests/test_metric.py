"""Metrics against counts done by hand; list inputs, soft labels, composites, reset."""
import math

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit.metric import Accuracy, CompositeEvalMetric, Loss, TopKAccuracy

PREDS = onp.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.4, 0.35, 0.25]])
LABELS = onp.array([1, 1, 2, 2])


def test_accuracy_accumulates_over_updates_and_resets():
    acc = Accuracy()
    assert math.isnan(acc.get()[1])
    acc.update(gk.np.array(LABELS), gk.np.array(PREDS))
    assert acc.get() == ("accuracy", 0.5)
    acc.update(onp.array([0]), onp.array([[1.0, 0.0, 0.0]]))
    assert acc.get()[1] == pytest.approx(3 / 5)
    acc.reset()
    assert acc.num_inst == 0


def test_accuracy_with_one_hot_or_soft_labels_and_class_indices():
    soft = onp.eye(3)[LABELS] * 0.7 + 0.1
    acc = Accuracy()
    acc.update(soft, PREDS)
    assert acc.get()[1] == 0.5
    acc = Accuracy()
    acc.update(LABELS, PREDS.argmax(1))
    assert acc.get()[1] == 0.5
    with pytest.raises(ValueError, match="do not match"):
        Accuracy().update(onp.array([1, 2]), PREDS)


def test_lists_of_batches():
    acc = Accuracy()
    acc.update([LABELS[:2], LABELS[2:]], [PREDS[:2], PREDS[2:]])
    assert acc.get()[1] == 0.5 and acc.num_inst == 4


def test_top_k():
    top2 = TopKAccuracy(2)
    top2.update(LABELS, PREDS)  # rank of the label: 1st, 2nd, 1st, 3rd
    assert top2.get() == ("top_2_accuracy", 0.75)
    top5 = TopKAccuracy(5)
    top5.update(LABELS, PREDS)
    assert top5.get()[1] == 1.0
    with pytest.raises(ValueError, match="top_k"):
        TopKAccuracy(0)


def test_loss_average_and_composite():
    loss = Loss()
    loss.update(None, gk.np.array([1.0, 2.0]))
    loss.update(None, onp.array([6.0]))
    assert loss.get() == ("loss", 3.0)
    both = CompositeEvalMetric([Accuracy(), TopKAccuracy(2)])
    both.update(LABELS, PREDS)
    assert both.get() == (["accuracy", "top_2_accuracy"], [0.5, 0.75])
    assert both.get_name_value() == [("accuracy", 0.5), ("top_2_accuracy", 0.75)]
    both.reset()
    assert all(math.isnan(v) for v in both.get()[1])
