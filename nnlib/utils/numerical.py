"""``to_categorical``: class indices to one-hot rows, as Keras 3 gives them."""
import numpy as np

from ..checks import whole_number


def to_categorical(x, num_classes=None):
    """One-hot encode the class indices ``x``: a new last axis of ``num_classes``
    (default ``max(x) + 1``) holding 1 at each index and 0 elsewhere.

    As Keras 3: a trailing axis of size 1 is dropped first (a column of labels
    gives a matrix), and the result is ``float64``.  Unlike Keras, an index
    that is not a whole number in ``[0, num_classes)`` is an error rather than
    truncated or counted from the end.

    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    >>> to_categorical([[1], [0]], num_classes=3).shape
    (2, 3)
    """
    labels = np.asarray(x)
    if labels.dtype.kind not in "biuf":
        raise TypeError(f"to_categorical: x must hold class indices, got an array of "
                        f"{labels.dtype}")
    labels_float = labels.astype("float64")
    not_whole = ~np.isfinite(labels_float) | (labels_float != np.round(labels_float))
    if not_whole.any():
        raise ValueError(f"to_categorical: x must hold class indices, whole numbers, got "
                         f"{labels[not_whole].flat[0].item()!r}")
    labels = labels.astype("int64")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if num_classes is None:
        if not labels.size:
            raise ValueError("to_categorical: x holds no labels; pass num_classes")
        num_classes = int(labels.max()) + 1
    num_classes = whole_number("to_categorical", "num_classes", num_classes)
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        raise ValueError(f"to_categorical: class indices must be in [0, {num_classes}), got "
                         f"{labels[outside].flat[0]}")
    return np.eye(num_classes)[labels]
