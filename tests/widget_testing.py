"""Driving an explorer from Python, as a reader's hand drives it in Jupyter."""


def control(widget, description):
    """The control of ``widget`` labelled ``description`` (set its ``.value`` to move it)."""
    return next(c for c in widget.children if getattr(c, "description", None) == description)
