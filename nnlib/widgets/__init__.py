"""Explorers for the book: ipywidgets controls over nnlib models, drawn with matplotlib.

Importing ``nnlib`` does not import this package: it needs ipywidgets and
matplotlib (``pip install "nnlib-reference[widgets]"``).  Each explorer is a
function that returns an ``ipywidgets.interactive``; its ``result`` holds the
data behind the current figure, so tests can drive a control and check it.
"""
from .activations import function_explorer, gradient_flow_explorer
from .char_model import gate_explorer, text_sampler
from .conv_explorer import conv_explorer
from .decision_boundary import decision_boundary_explorer
from .dropout_explorer import mask_explorer
from .embedding_explorer import embedding_explorer
from .gradient_through_time import gradient_through_time_explorer
from .losses import loss_explorer, neuron_race_explorer
from .model_builder import model_builder_explorer
from .normalization import normalization_explorer
from .optimizers import optimizer_race_explorer, schedule_explorer
from .pooling_explorer import pooling_explorer
from .regularization import regularization_explorer
from .tape_explorer import tape_explorer
from .threshold_explorer import threshold_explorer

__all__ = ["conv_explorer", "decision_boundary_explorer", "embedding_explorer",
           "function_explorer", "gate_explorer", "gradient_flow_explorer",
           "gradient_through_time_explorer", "loss_explorer", "mask_explorer",
           "model_builder_explorer", "neuron_race_explorer", "normalization_explorer",
           "optimizer_race_explorer", "pooling_explorer", "regularization_explorer",
           "schedule_explorer", "tape_explorer", "text_sampler", "threshold_explorer"]
