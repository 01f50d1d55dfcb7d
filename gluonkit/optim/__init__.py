"""Optimizers, the Trainer, learning-rate schedules and dynamic loss scaling."""
from . import lr_scheduler
from .loss_scaler import DynamicLossScaler
from .optimizer import NAG, SGD, Adam, AdamW, Optimizer, RMSProp, create
from .trainer import Trainer

__all__ = ["Optimizer", "SGD", "NAG", "Adam", "AdamW", "RMSProp", "create", "Trainer",
           "lr_scheduler", "DynamicLossScaler"]
