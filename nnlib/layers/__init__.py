"""Layers: the building blocks of models (see ``nnlib.layers.base`` for the protocol)."""
from .base import Layer, Weight
# Families in the order of the author's table (Dense, convolutional, pooling,
# embedding), then the rest: the registry lists families in registration order.
from .dense import Dense
from .conv import Conv1D, Conv2D
from .pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                      MaxPooling1D, MaxPooling2D)
from .embedding import Embedding
from .reshaping import Flatten, Reshape
from .activation import ELU, Activation, LeakyReLU, ReLU, Softmax
from .prelu import PReLU
from .merging import Add, Average, Concatenate, Maximum, Multiply, Subtract

__all__ = ["Activation", "Add", "Average", "AveragePooling1D", "AveragePooling2D",
           "Concatenate", "Conv1D", "Conv2D", "Dense", "ELU", "Embedding", "Flatten",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "Layer", "LeakyReLU", "MaxPooling1D", "MaxPooling2D",
           "Maximum", "Multiply", "PReLU", "ReLU", "Reshape", "Softmax", "Subtract", "Weight"]
