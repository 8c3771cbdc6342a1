"""Models: Sequential stacks and functional graphs, with their training loop."""
from .functional import Input, InputLayer, Model
from .sequential import Sequential

__all__ = ["Input", "InputLayer", "Model", "Sequential"]
