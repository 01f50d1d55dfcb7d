"""The config-driven training engine behind ``scripts/train.py`` and ``scripts/eval.py``."""
from .config import Config, ConfigError, config_from_dict, config_to_dict, load_config
from .engine import NonFiniteLossError, evaluate, fit

__all__ = ["Config", "ConfigError", "load_config", "config_from_dict", "config_to_dict", "fit",
           "evaluate", "NonFiniteLossError"]
