"""Gluon-style blocks and layers; parameter names follow the attribute tree (torchvision-style)."""
from . import init
from .basic_layers import (Activation, Dense, Dropout, Flatten, HybridSequential, Identity, Lambda,
                           Sequential)
from .block import Block, HybridBlock, ParameterDict, StateDictError
from .conv_layers import Conv2D
from .export import SymbolBlock
from .norm_layers import BatchNorm
from .parameter import DeferredInitializationError, Parameter
from .pool_layers import AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D, MaxPool2D

__all__ = ["init", "Block", "HybridBlock", "Parameter", "ParameterDict", "StateDictError",
           "DeferredInitializationError", "Sequential", "HybridSequential", "Dense", "Activation",
           "Dropout", "Flatten", "Identity", "Lambda", "Conv2D", "MaxPool2D", "AvgPool2D",
           "GlobalAvgPool2D", "GlobalMaxPool2D", "BatchNorm", "SymbolBlock"]
