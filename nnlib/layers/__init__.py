"""Layers: the building blocks of models (see ``nnlib.layers.base`` for the protocol)."""
from .activation import Activation
from .base import Layer, Weight
from .dense import Dense

__all__ = ["Activation", "Dense", "Layer", "Weight"]
