"""Layers: the building blocks of models (see ``nnlib.layers.base`` for the protocol)."""
from .base import Effects, Layer, Weight
from .input_layer import Input, InputLayer
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
from .simple_rnn import SimpleRNN, SimpleRNNCell
from .lstm import LSTM, LSTMCell
from .gru import GRU, GRUCell
from .bidirectional import Bidirectional

__all__ = ["Activation", "Add", "Average", "AveragePooling1D", "AveragePooling2D",
           "Bidirectional", "Concatenate", "Conv1D", "Conv2D", "Dense", "ELU", "Effects",
           "Embedding", "Flatten", "GRU", "GRUCell", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Input",
           "InputLayer", "LSTM", "LSTMCell", "Layer", "LeakyReLU", "MaxPooling1D", "MaxPooling2D",
           "Maximum", "Multiply", "PReLU", "ReLU", "Reshape", "SimpleRNN", "SimpleRNNCell",
           "Softmax", "Subtract", "Weight"]
