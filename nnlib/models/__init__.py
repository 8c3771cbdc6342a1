"""Models: Sequential stacks and functional graphs, with their training loop,
summary, picture, files (``nnlib.saving``), JSON (``to_json``,
``model_from_json``) and clones (``clone_model``)."""
from ..layers.input_layer import Input, InputLayer
from ..registry import register
from ..saving import load_model, save_model
from .cloning import clone_model
from .functional import Model, Tape, model_from_json
from .plot import plot_model
from .sequential import Sequential

# Registered here rather than on the classes: the classes are defined in two modules.
register("model", family="Sequential", aliases=("sequential",),
         description="A plain stack of layers, each reading the previous one's output",
         use_case="For linear stacks of layers where each layer has exactly one input tensor "
                  "and one output tensor.")(Sequential)
register("model", family="Functional API", aliases=("functional",),
         description="A graph of layers from Input tensors to outputs, built by calling layers",
         use_case="For more complex architectures, allows creation of models with non-linear "
                  "topology, shared layers, and even multiple inputs or outputs.")(Model)


__all__ = ["Input", "InputLayer", "Model", "Sequential", "Tape", "clone_model", "load_model",
           "model_from_json", "plot_model", "save_model"]
