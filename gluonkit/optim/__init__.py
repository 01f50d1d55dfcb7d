"""Optimizers, the Trainer and learning-rate schedules."""
from . import lr_scheduler
from .optimizer import NAG, SGD, Adam, AdamW, Optimizer, RMSProp, create
from .trainer import Trainer

__all__ = ["Optimizer", "SGD", "NAG", "Adam", "AdamW", "RMSProp", "create", "Trainer",
           "lr_scheduler"]
