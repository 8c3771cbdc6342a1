"""Explorers for the book: ipywidgets controls over nnlib models, drawn with matplotlib.

Importing ``nnlib`` does not import this package: it needs ipywidgets and
matplotlib (``pip install "nnlib-reference[widgets]"``).  Each explorer is a
function that returns an ``ipywidgets.interactive``; its ``result`` holds the
data behind the current figure, so tests can drive a control and check it.
"""
from .decision_boundary import decision_boundary_explorer, train_classifier_2d

__all__ = ["decision_boundary_explorer", "train_classifier_2d"]
