"""``plot_model``: a model's graph drawn with matplotlib (no graphviz needed).

Each layer call is a box.  Boxes sit in ranks so that every arrow points
down (or right with ``rankdir="LR"``): the longest path from an input sets
the ranks, then each box that is not on it moves down to just above the
first box that reads it, so that a side branch (a second input, its own
small layers) joins where it is used.  Within a rank, boxes are ordered by
the mean position of the boxes they read (one barycentre pass, which keeps
most arrows from crossing).  An arrow that skips ranks, a residual
connection, is drawn as an arc around the boxes it passes.
"""
from dataclasses import dataclass

import numpy as np

from ..graph import topological_order


@dataclass
class GraphLayout:
    """Where ``plot_model`` puts each node: ``rank`` (depth) and ``slot`` (its
    place in the rank, centred: ``-0.5, 0.5`` for two boxes), and the edges as
    ``(parent, child)`` pairs of nodes."""

    nodes: list
    rank: dict
    slot: dict
    edges: list

    @property
    def n_ranks(self):
        return 1 + max(self.rank.values())

    @property
    def width(self):
        """The number of boxes in the widest rank."""
        ranks = list(self.rank.values())
        return max(ranks.count(r) for r in set(ranks))


def graph_layout(model):
    """The ``GraphLayout`` of ``model``'s nodes (its inputs included)."""
    nodes = topological_order(model.outputs)
    nodes += [t.node for t in model.inputs if t.node not in nodes]  # unused inputs
    rank = {}
    for node in nodes:  # as early as possible: the longest path from an input
        rank[id(node)] = 1 + max((rank[id(p)] for p in node.parents), default=-1)
    for node in reversed(nodes):  # then as late as its readers allow
        readers = [rank[id(n)] for n in nodes if node in n.parents]
        if readers:
            rank[id(node)] = min(readers) - 1
    low = min(rank.values())
    rank = {key: r - low for key, r in rank.items()}
    slot = {}
    for r in range(1 + max(rank.values())):
        members = [n for n in nodes if rank[id(n)] == r]
        members.sort(key=lambda n: sum(slot[id(p)] for p in n.parents) / len(n.parents)
                     if n.parents else -1.0)
        slot.update({id(n): i - (len(members) - 1) / 2 for i, n in enumerate(members)})
    edges = [(parent, node) for node in nodes for parent in dict.fromkeys(node.parents)]
    return GraphLayout(nodes, rank, slot, edges)


def _to_border(size, dx, dy):
    """Distance (inches) from a box's centre to its border in direction ``(dx, dy)``."""
    width, height = size
    norm = np.hypot(dx, dy)
    return min(width / 2 / (abs(dx) / norm + 1e-9), height / 2 / (abs(dy) / norm + 1e-9))


def _arc_directions(dx, dy, rad):
    """The directions in which an ``arc3`` arrow of bend ``rad`` leaves its start
    and reaches its end (its quadratic Bezier's end tangents)."""
    cx, cy = dx / 2 + rad * dy, dy / 2 - rad * dx  # control point, as matplotlib places it
    return (cx, cy), (dx - cx, dy - cy)


def _shape(shapes):
    shapes = [str(s) for s in shapes]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def box_label(node, show_shapes=False, show_dtype=False, show_layer_names=True,
              show_layer_activations=False, show_trainable=False):
    """The text of one box: name and type, then the options asked for."""
    layer = node.layer
    kind = layer.class_name()
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"activation: {type(activation).__name__.lower()}")
    if show_shapes:
        if node.tensors:
            lines.append(f"in: {_shape(t.shape for t in node.tensors)}")
        lines.append(f"out: {_shape(t.shape for t in node.outputs)}")
    if show_dtype:
        lines.append(f"dtype: {layer.dtype}")
    if show_trainable and layer.weights:
        lines.append(f"trainable: {'Y' if layer.trainable else 'N'}")
    return "\n".join(lines)


def plot_model(model, to_file=None, show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", show_layer_activations=False, show_trainable=False, dpi=100,
               ax=None):
    """Draw ``model``'s graph; returns the matplotlib figure (saved to ``to_file``
    if given).  The options are Keras's, minus graphviz: ``rankdir`` is
    ``"TB"`` (top to bottom) or ``"LR"`` (left to right).

    >>> from nnlib import Input, Model
    >>> from nnlib.layers import Dense
    >>> x = Input((3,), name="features")
    >>> figure = plot_model(Model(x, Dense(2, name="scores")(x)), show_shapes=True)
    >>> sorted(t.get_text().split()[0] for t in figure.axes[0].texts if t.get_text())
    ['features', 'scores']
    """
    import matplotlib.pyplot as plt

    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR', got {rankdir!r}")
    layout = graph_layout(model)
    labels = {id(n): box_label(n, show_shapes, show_dtype, show_layer_names,
                               show_layer_activations, show_trainable) for n in layout.nodes}
    # Sizes in inches (monospace at 8 points), and data coordinates in inches.
    size = {key: (0.3 + 0.072 * max(map(len, text.split("\n"))),
                  0.22 + 0.14 * (text.count("\n") + 1)) for key, text in labels.items()}
    along_axis = 1 if rankdir == "TB" else 0  # box height or width along the arrows
    across_axis = 1 - along_axis
    step_across = max(dims[across_axis] for dims in size.values()) + 0.4
    depth = [max(size[id(n)][along_axis] for n in layout.nodes if layout.rank[id(n)] == r)
             for r in range(layout.n_ranks)]
    offsets = np.concatenate([[0.0], np.cumsum([(a + b) / 2 + 0.45
                                                for a, b in zip(depth, depth[1:])])])

    def centre(node):
        across = layout.slot[id(node)] * step_across
        along = offsets[layout.rank[id(node)]]
        return (across, -along) if rankdir == "TB" else (along, -across)

    # An arrow that skips ranks bends out past the widest box it passes.
    arcs = {}
    for parent, child in layout.edges:
        passed = [n for n in layout.nodes
                  if layout.rank[id(parent)] < layout.rank[id(n)] < layout.rank[id(child)]]
        if passed:
            (x0, y0), (x1, y1) = centre(parent), centre(child)
            half = max(size[id(n)][across_axis] / 2 for n in passed)
            arcs[(id(parent), id(child))] = (half + 0.25, np.hypot(x1 - x0, y1 - y0))
    points = [centre(n) for n in layout.nodes]
    extent_x = [x + sign * size[id(n)][0] / 2 for n, (x, _) in zip(layout.nodes, points)
                for sign in (-1, 1)]
    extent_y = [y + sign * size[id(n)][1] / 2 for n, (_, y) in zip(layout.nodes, points)
                for sign in (-1, 1)]
    bulge = max((dev for dev, _ in arcs.values()), default=0.0)
    if rankdir == "TB":
        extent_x.append(min(extent_x) - bulge + min(w for w, _ in size.values()) / 2)
    else:
        extent_y.append(max(extent_y) + bulge - min(h for _, h in size.values()) / 2)
    (x_low, x_high), (y_low, y_high) = [(min(e) - 0.15, max(e) + 0.15)
                                        for e in (extent_x, extent_y)]
    if ax is None:
        figure = plt.figure(figsize=(x_high - x_low, y_high - y_low + 0.35), dpi=dpi)
        ax = figure.add_axes((0, 0, 1, (y_high - y_low) / (y_high - y_low + 0.35)))
    figure = ax.figure
    for node, point in zip(layout.nodes, points):
        frozen = node.layer.weights and not node.layer.trainable
        ax.text(*point, labels[id(node)], ha="center", va="center", fontsize=8,
                family="monospace", zorder=3,
                bbox={"boxstyle": "round,pad=0.3", "edgecolor": "#4a6fa5",
                      "facecolor": "#e3e3e3" if frozen else "#eef3fb"})
    for parent, child in layout.edges:
        deviation, length = arcs.get((id(parent), id(child)), (0.0, 1.0))
        (x0, y0), (x1, y1) = centre(parent), centre(child)
        rad = -2 * deviation / length
        # Leave and enter each box through its border, along the arrow's end tangents.
        start, end = _arc_directions(x1 - x0, y1 - y0, rad)
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=1,
                    arrowprops={"arrowstyle": "-|>", "color": "#555",
                                "shrinkA": 72 * _to_border(size[id(parent)], *start) + 3,
                                "shrinkB": 72 * _to_border(size[id(child)], *end) + 3,
                                "connectionstyle": f"arc3,rad={rad:.3f}"})
    ax.set(xlim=(x_low, x_high), ylim=(y_low, y_high), aspect="equal")
    ax.set_title(f'Model "{model.name}"', fontsize=10)
    ax.axis("off")
    if to_file is not None:
        figure.savefig(to_file, dpi=dpi, bbox_inches="tight")
    return figure
