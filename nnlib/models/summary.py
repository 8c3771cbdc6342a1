"""``model.summary()``: the layer table Keras prints, drawn without ``rich``.

Keras's layout (``keras/src/utils/summary_utils.py``): one row per layer with
its name and type, output shape and parameter count, and, when the graph is
not a plain chain, a fourth column "Connected to" listing the tensors each
call of the layer reads as ``layer_name[node_index][tensor_index]``.  Below
the table: the total, trainable and non-trainable parameter counts and their
size in memory, and the optimizer's state once it has taken a step.

Keras sizes the table to the terminal (its width minus 4, capped at 88
characters, or 108 with "Connected to"); nnlib uses the width Keras gets
outside a terminal, as in a notebook (76), unless ``line_length`` is given,
so that the same model prints the same table everywhere.
"""
import re

import numpy as np


LINE_LENGTH = 76


def format_bytes(n):
    """Keras's readable size: ``268.00 B``, ``7.82 KB``..."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.2f} {unit}"
        n /= 1024


def column_widths(positions, line_length):
    """Keras's columns (relative ``positions`` of their right edges), then
    squeezed as ``rich`` squeezes a table too wide for ``line_length``: the
    excess shared out evenly, left to right, with Python's rounding."""
    widths, current = [], 0
    for position in positions:
        widths.append(int(position * line_length) - current + 2)  # + padding
        current = int(position * line_length)
    excess = sum(widths) - (line_length - len(widths) - 1)  # borders take n + 1
    remaining = len(widths)
    for i in range(len(widths)):
        if excess <= 0:
            break
        cut = min(widths[i], round(excess / remaining))
        widths[i] -= cut
        excess -= cut
        remaining -= 1
    return widths


def wrap_text(text, width):
    """Lines of at most ``width`` characters, as ``rich`` wraps a Keras summary
    cell: a break before each word that does not fit, and a word longer than
    the whole line cut with an ellipsis."""
    breaks, offset = [], 0
    for match in re.finditer(r"\s*\S+\s*", text):
        start, word = match.start(), match.group()
        if width - offset >= len(word.rstrip()):
            offset += len(word)
        elif start:
            breaks.append(start)
            offset = len(word)
    cuts = [0, *breaks, len(text)]
    return [_truncate(text[a:b].rstrip(), width) for a, b in zip(cuts, cuts[1:])]


def _truncate(text, width):
    """A header too long for its column ends in an ellipsis, as ``rich`` cuts it."""
    return text if len(text) <= width else text[:width - 1] + "…"


def boxed_table(header, rows, widths, alignments):
    """Rows drawn with box characters, as Keras draws its summary; long cells
    wrap at spaces inside their column."""

    def cells(values, left, middle, right, wrap=True):
        wrapped = [wrap_text(str(v), w - 2) if wrap else [_truncate(str(v), w - 2)]
                   for v, w in zip(values, widths)]
        lines = []
        for k in range(max(len(w) for w in wrapped)):
            padded = []
            for text, width, align in zip(wrapped, widths, alignments):
                part = text[k] if k < len(text) else ""
                inner = {"left": part.ljust, "right": part.rjust,
                         "center": part.center}[align](width - 2)
                padded.append(f" {inner} ")
            lines.append(left + middle.join(padded) + right)
        return lines

    def rule(left, middle, right, fill):
        return left + middle.join(fill * w for w in widths) + right

    lines = [rule("┏", "┳", "┓", "━"), *cells(header, "┃", "┃", "┃", wrap=False),
             rule("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("├", "┼", "┤", "─"))
        lines += cells(row, "│", "│", "│")
    lines.append(rule("└", "┴", "┘", "─"))
    return lines


def is_chain(model):
    """Whether the graph is a plain chain (Keras's "sequential-like"): one node
    after another, each reading only the previous one's single output, no
    layer called twice.  Sequential models always are."""
    if not model.built or model.subclassed or type(model).__name__ == "Sequential":
        return True
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    previous = model.inputs[0]
    for node in model.nodes:
        if node.tensors != [previous] or len(node.outputs) != 1:
            return False
        previous = node.outputs[0]
    return model.outputs[0] is previous and len(model.nodes) == len(model.layers) - 1


def output_shape(layer, nodes):
    """The output shape of the layer's last call among ``nodes`` (``?`` if none)."""
    calls = [n for n in nodes if n.layer is layer]
    if not calls:
        return "?"
    shapes = [t.shape for t in calls[-1].outputs]
    return str(shapes[0]) if len(shapes) == 1 else "[" + ", ".join(map(str, shapes)) + "]"


def connections(layer, model, node_index):
    """What each call of ``layer`` in ``model`` reads: ``name[node][tensor], ...``."""
    calls = [n for n in layer.inbound_nodes if n in model.nodes]
    refs = [f"{t.node.layer.name}[{node_index[id(t.node)]}][{t.node.outputs.index(t)}]"
            for node in calls for t in node.tensors]
    return ", ".join(refs) or "-"


def summary_text(model, line_length=None, show_trainable=False):
    """The summary of ``model`` as a string (see the module docstring)."""
    chain = is_chain(model)
    nodes = [] if not model.built else [t.node for t in model.inputs] + \
        ([] if model.subclassed else model.nodes)
    header = ["Layer (type)", "Output Shape", "Param #"]
    alignments = ["left", "left", "right"]
    positions = [0.45, 0.80, 1.0]
    if not chain:
        header.append("Connected to")
        alignments.append("left")
        positions = [0.3, 0.56, 0.74, 1.0]
        node_index = model.node_indices()
    if show_trainable:
        header.append("Trainable")
        alignments.append("center")
        positions = [p * 0.9 for p in positions] + [1.0]
    rows = []
    for layer in model.layers:
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [f"{layer.name} ({layer.class_name()})", output_shape(layer, nodes),
               params]
        if not chain:
            row.append(connections(layer, model, node_index))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(row)
    lines = [f'Model: "{model.name}"']
    lines += boxed_table(header, rows, column_widths(positions, line_length or LINE_LENGTH),
                         alignments)
    optimizer = getattr(model, "optimizer", None)
    groups = {"Trainable": model.trainable_weights,
              "Non-trainable": model.non_trainable_weights,
              # Keras also counts its iteration counter and learning rate here (2 more).
              "Optimizer": [a for slots in getattr(optimizer, "state", {}).values()
                            for a in slots.values()]}
    sizes = {label: (sum(np.asarray(a).size for a in arrays),
                     sum(np.asarray(a).nbytes for a in arrays))
             for label, arrays in groups.items()}
    if not sizes["Optimizer"][0]:
        del sizes["Optimizer"]  # shown once the optimizer holds state, as in Keras
    total = [sum(size[i] for size in sizes.values()) for i in (0, 1)]
    lines.append(f" Total params: {total[0]:,} ({format_bytes(total[1])})")
    lines += [f" {label} params: {count:,} ({format_bytes(nbytes)})"
              for label, (count, nbytes) in sizes.items()]
    return "\n".join(lines)
