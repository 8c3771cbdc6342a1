"""Layers: the building blocks of models (see ``nnlib.layers.base`` for the protocol)."""
from .base import Effects, Layer, Weight
from .input_layer import Input, InputLayer
from .dense import Dense
from .conv import Conv1D, Conv2D, Conv2DTranspose
from .pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                      MaxPooling1D, MaxPooling2D)
from .embedding import Embedding
from .reshaping import Flatten, Reshape
from .upsampling import UpSampling2D
from .activation import ELU, Activation, LeakyReLU, ReLU, Softmax
from .prelu import PReLU
from .merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add,
                      average, concatenate, maximum, minimum, multiply, subtract)
from .simple_rnn import SimpleRNN, SimpleRNNCell
from .lstm import LSTM, LSTMCell
from .gru import GRU, GRUCell
from .bidirectional import Bidirectional
from .generic_rnn import RNN
from .dropout import (AlphaDropout, Dropout, GaussianDropout, GaussianNoise, SpatialDropout1D,
                      SpatialDropout2D, SpatialDropout3D)
from .normalization import BatchNormalization, LayerNormalization

__all__ = ["Activation", "Add", "AlphaDropout", "Average", "AveragePooling1D", "AveragePooling2D",
           "BatchNormalization", "Bidirectional", "Concatenate", "Conv1D", "Conv2D",
           "Conv2DTranspose", "Dense", "Dropout", "ELU", "Effects", "Embedding", "Flatten", "GRU",
           "GRUCell", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Input",
           "InputLayer", "LSTM", "LSTMCell", "Layer", "LayerNormalization", "LeakyReLU",
           "MaxPooling1D", "MaxPooling2D", "Maximum", "Minimum", "Multiply", "PReLU", "ReLU",
           "RNN", "Reshape", "SimpleRNN", "SimpleRNNCell", "Softmax", "SpatialDropout1D",
           "SpatialDropout2D", "SpatialDropout3D", "Subtract", "UpSampling2D", "Weight", "add",
           "average", "concatenate", "maximum", "minimum", "multiply", "subtract"]
