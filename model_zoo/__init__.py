"""The model zoo: families register themselves on import; ``get_model`` builds them."""
# Importing a family registers its models.
from . import googlenet, inception, lenet, resnest, resnet  # noqa: F401
from .base import FeatureExtractor, ZooModel
from .registry import get_model, list_models, model_entry, register_model

__all__ = ["get_model", "list_models", "model_entry", "register_model", "ZooModel",
           "FeatureExtractor"]
