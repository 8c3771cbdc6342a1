"""Tape explorer: the record a gradient tape keeps of a small expression, and
its backward pass, one node at a time.

Inside ``with ops.GradientTape() as tape`` every op on a traced tensor
appends a node to ``tape.nodes``: the op's name, its inputs and outputs, and
its vector-Jacobian product (vjp).  ``tape.gradient`` seeds the target with
:math:`\\bar y = 1` and walks the nodes backwards: each node's vjp turns the
gradient of its output into one contribution per input, which is *added* to
what that input already holds (the ``+=`` rule), once summed back to the
input's shape where the op broadcast it (``ops.unbroadcast``).

:func:`reverse_walk_steps` replays that walk and stops after every node, so
that the explorer can show the gradients as they build up.  The figure draws
the tape left to right: the leaves (the watched inputs and the constants),
one box per node with its value, an arrow from each input to the op that
reads it; under each tensor its gradient so far, and a ``+=`` badge on a
tensor whose gradient has received more than one contribution.
"""
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Optional

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from .. import ops
from ..checks import closest, whole_number
from ..ops.tape import Node, Tensor, add_gradient, seed_gradient
from .controls import interactive


@dataclass(frozen=True)
class Expression:
    """A small function written with ``nnlib.ops``, on fixed inputs.

    ``function`` takes the ``inputs`` (name -> array) as keyword arguments
    and returns a scalar; the inputs named in ``watched`` are watched by the
    tape, the others are constants.  ``intermediates`` names the outputs of
    the first nodes, in the order they are recorded (the others are shown as
    :math:`t_1, t_2, \\dots`, the target as :math:`y`).
    """

    function: Callable
    inputs: dict
    watched: tuple
    intermediates: tuple = ()


def sum_of_square_and_itself(x, w):
    """:math:`a = x w`, then :math:`y = \\sum (a a + a)`: ``a`` is read three times."""
    a = x * w
    return ops.sum(a * a + a)


#: The menu: label -> expression, on inputs small enough to read in a box.
EXPRESSIONS = {
    "y = sum((x * w + b) ** 2)": Expression(
        lambda x, w, b: ops.sum((x * w + b) ** 2),
        {"x": np.array([1.0, 2.0, -1.0]), "w": np.array([0.5, -1.0, 2.0]), "b": np.array(0.5)},
        watched=("w", "b")),
    "a = x * w; y = sum(a * a + a)": Expression(
        sum_of_square_and_itself, {"x": np.array([1.0, -2.0]), "w": np.array([0.5, 1.5])},
        watched=("x", "w"), intermediates=("a",)),
    "y = sum(tanh(x @ W))": Expression(
        lambda x, W: ops.sum(ops.tanh(x @ W)),
        {"x": np.array([1.0, -0.5]), "W": np.array([[0.5, -1.0], [0.3, 0.8]])},
        watched=("x", "W")),
    "y = sum(x * exp(x))": Expression(
        lambda x: ops.sum(x * ops.exp(x)), {"x": np.array([-1.0, 0.0, 0.5])}, watched=("x",)),
}


# -- the expression on a tape, and the tape's reverse walk -------------------------------------

@dataclass
class Recording:
    """An expression run on a tape: the ``tape``, its scalar ``target``, and
    ``arguments`` (name -> the watched input's tensor, or the constant)."""

    expression: Expression
    tape: ops.GradientTape
    target: Tensor
    arguments: dict

    @property
    def sources(self):
        """The tensors of the watched inputs, in the order of ``watched``."""
        return [self.arguments[name] for name in self.expression.watched]


def record(expression):
    """Run ``expression`` on a fresh ``GradientTape``."""
    with ops.GradientTape() as tape:
        arguments = {name: tape.watch(value) if name in expression.watched else value
                     for name, value in expression.inputs.items()}
        target = expression.function(**arguments)
    return Recording(expression, tape, target, arguments)


@dataclass
class WalkStep:
    """One node of the reverse walk, as ``GradientTape.gradient`` processes it.

    ``incoming`` is :math:`\\bar y`, the gradient of the node's output (a list
    for a node with ``several`` outputs).  ``contributions`` holds, for each
    input, what the vjp adds to that input's gradient, already summed to the
    input's shape; ``None`` for a constant or an input without gradient.
    ``summed`` says for which inputs that sum undid a broadcast.
    ``gradients`` maps ``id(tensor)`` to the tensor's gradient once this step
    has added its contributions.
    """

    index: int
    node: Node
    incoming: object
    contributions: list
    summed: list
    gradients: dict


def reverse_walk_steps(tape, target):
    """Yield the reverse walk of ``tape`` from the scalar ``target``, one
    :class:`WalkStep` per node that the target depends on, the last node first.

    It is the walk of ``tape.gradient(target, sources)``: after the last step,
    ``gradients[id(source)]`` is that call's gradient of every source that the
    target depends on.

    >>> import numpy as np
    >>> with ops.GradientTape() as tape:
    ...     x = tape.watch(np.array([1.0, 2.0]))
    ...     y = ops.sum(x * x)
    >>> [(step.node.name, step.contributions) for step in reverse_walk_steps(tape, y)]
    [('sum', [array([1., 1.])]), ('multiply', [array([1., 2.]), array([1., 2.])])]
    """
    if not isinstance(tape, ops.GradientTape):
        raise TypeError(f"reverse_walk_steps: tape must be an ops.GradientTape, got "
                        f"{type(tape).__name__}")
    if not isinstance(target, Tensor) or id(target) not in tape.tensor_ids():
        raise ValueError("reverse_walk_steps: target must be a tensor computed on this tape "
                         f"(by ops inside its with block), got {type(target).__name__}")
    if target.ndim != 0:
        raise ValueError(f"reverse_walk_steps: target must be a scalar, got shape "
                         f"{target.shape}; reduce it first (e.g. ops.sum(y))")
    return walk(tape, target)


def walk(tape, target):
    """The generator behind :func:`reverse_walk_steps`, its arguments checked."""
    gradients = {id(target): seed_gradient(target.value, None)}
    for index, node, incoming, vjps, contributions in tape.walk(gradients):
        summed = [c is not None and np.shape(dx) != np.shape(c)
                  for dx, c in zip(vjps, contributions)]
        yield WalkStep(index, node, incoming, contributions, summed, dict(gradients))


# -- the tape as boxes and arrows -------------------------------------------------------------

@dataclass
class Item:
    """A box of the figure, headed ``title``: a leaf (``kind`` ``"watched"``
    or ``"constant"``) or a ``"node"`` (headed by the op's name), holding
    ``tensors`` (a node's outputs, a watched input; none for a constant)
    named by ``symbols`` (mathtext), of ``values``, in ``column`` (0 leftmost)."""

    key: str
    kind: str
    title: str
    symbols: list
    values: list
    tensors: list
    column: int = 0


@dataclass
class TapeGraph:
    """``items`` (key -> :class:`Item`, in the order first met on the tape),
    ``edges`` ``(source key, node key)`` for each input of each node, and
    ``symbols`` (``id(tensor)`` -> its symbol)."""

    items: dict
    edges: list
    symbols: dict

    def inputs_of(self, node_key):
        """The symbols of a node's inputs, in order (an unnamed constant's is its value)."""
        return [self.items[source].symbols[0] for source, node in self.edges if node == node_key]


def tape_graph(recording):
    """The boxes and arrows of ``recording``'s tape, placed left to right.

    A node's column is one more than its inputs'; a leaf sits just left of
    the first node that reads it; a column lists its boxes in tape order
    (:func:`box_tops`).
    """
    names = {id(value): name for name, value in recording.arguments.items()}
    intermediates = list(recording.expression.intermediates)
    items, edges, item_of, unnamed = {}, [], {}, 0

    def leaf(tensor, value, reader):
        """The key of the leaf for an input that no node computed (made if new)."""
        name = names.get(id(value if tensor is None else tensor))
        if tensor is None:
            key = f"constant:{name}" if name else f"constant:{reader}:{len(items)}"
            if key not in items:
                symbol = name or (compact(value) if np.ndim(value) == 0 else "c")
                items[key] = Item(key, "constant", "constant", [symbol], [np.asarray(value)], [])
            return key
        key = f"watched:{name or id(tensor)}"
        items[key] = Item(key, "watched", "watched input", [name or "s"], [tensor.value], [tensor])
        item_of[id(tensor)] = key
        return key

    for index, node in enumerate(recording.tape.nodes):
        key = f"node:{index}"
        for tensor, value in zip(node.inputs, node.values):
            known = tensor is not None and id(tensor) in item_of
            edges.append((item_of[id(tensor)] if known else leaf(tensor, value, key), key))
        symbols = []
        for y in node.outputs:
            if y is recording.target:
                symbols.append("y")
            elif intermediates:
                symbols.append(intermediates.pop(0))
            else:
                unnamed += 1
                symbols.append(f"t_{{{unnamed}}}")
            item_of[id(y)] = key
        items[key] = Item(key, "node", node.name, symbols, [y.value for y in node.outputs],
                          list(node.outputs))
    place(items, edges)
    symbols = {id(tensor): symbol for item in items.values()
               for tensor, symbol in zip(item.tensors, item.symbols)}
    return TapeGraph(items, edges, symbols)


def place(items, edges):
    """Set each item's column (see :func:`tape_graph`)."""
    for item in items.values():  # tape order: a node's inputs come before it
        if item.kind == "node":
            sources = [items[s] for s, node in edges if node == item.key]
            item.column = 1 + max((s.column for s in sources if s.kind == "node"), default=0)
    for item in items.values():
        if item.kind != "node":
            readers = [items[node].column for source, node in edges if source == item.key]
            item.column = min(readers) - 1


def compact(value, one_line=False):
    """A scalar as ``0.25``, an array as ``[0.5, -1, 2]`` (3 significant digits)."""
    value = np.asarray(value)
    if value.ndim == 0:
        return f"{value.item():.4g}"
    text = np.array2string(value, separator=", ", formatter={"all": lambda v: f"{v:.3g}"})
    return " ".join(text.split()) if one_line else text


def bar(symbol):
    """The mathtext of a gradient's symbol: ``t_{1}`` -> ``\\bar{t}_{1}``."""
    base, underscore, index = symbol.partition("_")
    return rf"\bar{{{base}}}" + underscore + index


# -- the words under the figure ----------------------------------------------------------------

#: How each op's vjp reads, one template per input (mathtext): ``{ybar}`` the
#: incoming gradient, ``{y}`` the output, ``{a}`` and ``{b}`` the inputs.
RULES = {
    "add": ("${ybar}$", "${ybar}$"),
    "subtract": ("${ybar}$", "$-{ybar}$"),
    "multiply": (r"${ybar} \cdot {b}$", r"${ybar} \cdot {a}$"),
    "power": (r"${ybar} \cdot {b}\, {a}^{{{b} - 1}}$", r"${ybar} \cdot {y} \log {a}$"),
    "exp": (r"${ybar} \cdot {y}$",),
    "tanh": (r"${ybar} \cdot (1 - {y}^2)$",),
    "sum": ("${ybar}$ copied to every entry",),
    "matmul": (r"${ybar}\, {b}^\top$", r"${a}^\top {ybar}$"),
}


def rule(name, slot, symbols, output):
    """The vjp of op ``name`` for input ``slot``, in mathtext."""
    templates = RULES.get(name)
    if templates is None:
        return rf"{name}'s vjp of ${bar(output)}$"
    a, b = (symbols + ["", ""])[:2]
    return templates[slot].format(ybar=bar(output), y=output, a=a, b=b)


def describe_step(graph, step, before, number, total):
    """What step ``number`` of ``total`` did, in words: the node, the
    incoming gradient, and each input's contribution (``before``: the
    gradients before the step, ``id(tensor)`` -> array)."""
    node, key = step.node, f"node:{step.index}"
    outputs = graph.items[key].symbols
    inputs = graph.inputs_of(key)
    lines = [f"Step {number} of {total}: {node.name}, "
             f"{', '.join(f'${s}$' for s in outputs)} = {node.name}("
             f"{', '.join(f'${s}$' for s in inputs)})."]
    incoming = step.incoming if node.several else [step.incoming]
    lines.append("Incoming: " + ", ".join(f"${bar(s)}$ = {compact(g, one_line=True)}"
                                          for s, g in zip(outputs, incoming)) + ".")
    running = dict(before)
    for slot, (tensor, contribution) in enumerate(zip(node.inputs, step.contributions)):
        symbol = inputs[slot]
        if contribution is None:
            lines.append(f"${symbol}$ is a constant: no gradient." if tensor is None
                         else f"${symbol}$ gets no gradient from {node.name}.")
            continue
        line = (f"${bar(symbol)}$ += {rule(node.name, slot, inputs, outputs[0])} = "
                f"{compact(contribution, one_line=True)}")
        if step.summed[slot]:
            line += f" (summed to ${symbol}$'s shape {np.shape(contribution)}: broadcast undone)"
        held = id(tensor) in running
        add_gradient(running, id(tensor), contribution)
        if held:
            line += (f"; the += rule: ${bar(symbol)}$ now holds "
                     f"{compact(running[id(tensor)], one_line=True)}")
        lines.append(line + ".")
    return "\n".join(lines)


def describe_start(recording, total):
    """The words at step 0: what the forward pass recorded, what comes next."""
    return (f"Forward pass: the tape recorded {total} nodes, $y$ = "
            f"{compact(recording.target.value)}.\nThe backward pass (the step slider) seeds "
            r"$\bar{y}$ = 1 and walks the tape from its last node, one node a step:"
            "\neach node's vjp adds a contribution to the gradient of each of its inputs.")


def describe_end(recording, gradients):
    """The lines after the last step: the watched inputs' gradients."""
    watched = recording.expression.watched
    found = ", ".join(f"${bar(name)}$ = {compact(gradients[id(recording.arguments[name])], True)}"
                      for name in watched)
    return (f"Backward pass done, as tape.gradient(y, [{', '.join(watched)}]) returns it:\n"
            f"{found}.")


# -- the figure --------------------------------------------------------------------------------

INCH = 0.42  # inches per unit of the graph's coordinates
LINE = 0.34  # the height of a line of 8-point text, in those units
BOX_WIDTH, COLUMN_PITCH, GAP = 3.4, 4.5, 0.45
BEND = 0.3  # how far an arrow that skips columns bends up, per column skipped
FILL = {"watched": "#dbe9f6", "constant": "#ececec", "node": "white"}
CURRENT, GRADIENT, ACCUMULATED = "tab:orange", "tab:red", "tab:purple"
KEY = ("blue: a watched input; grey: a constant; orange: the node this step processed;\n"
       "red: a gradient so far; purple and +=: a gradient that received more than one "
       "contribution")


def line_count(value):
    """The lines ``compact(value)`` takes (one per row of a matrix)."""
    return compact(value).count("\n") + 1


def box_text(item):
    """A box's words: the op's name or the leaf's kind, then each tensor's value."""
    if item.kind == "constant" and item.symbols[0] == compact(item.values[0]):
        return f"{item.title}\n{item.symbols[0]}"  # a number written in the expression
    return "\n".join([item.title] + [f"${s}$ = {compact(v)}"
                                     for s, v in zip(item.symbols, item.values)])


def box_heights(item):
    """The heights of a box and of the gradients written under it."""
    lines = sum(line_count(v) for v in item.values)
    box = LINE * (1 + lines) + 0.3
    under = LINE * lines + 0.2 if item.tensors else 0.0
    return box, under


def box_tops(graph):
    """``{key: (x of the centre, y of the top)}``: each column stacked down
    from 0, then centred on the tallest column."""
    tops, bottoms = {}, Counter()
    for item in graph.items.values():
        box, under = box_heights(item)
        tops[item.key] = [item.column * COLUMN_PITCH, -bottoms[item.column]]
        bottoms[item.column] += box + under + GAP
    tallest = max(bottoms.values())
    for item in graph.items.values():
        tops[item.key][1] -= (tallest - bottoms[item.column]) / 2
    return {key: tuple(top) for key, top in tops.items()}, tallest - GAP


def draw_box(axes, item, x, top, gradients, counts, current):
    """One box, its gradients under it (red, or purple once accumulated),
    and its ``+=`` badge."""
    box, _ = box_heights(item)
    is_current = item.key == current
    axes.add_patch(FancyBboxPatch(
        (x - BOX_WIDTH / 2, top - box), BOX_WIDTH, box, boxstyle="round,pad=0,rounding_size=0.2",
        facecolor="#fff2cc" if is_current else FILL[item.kind],
        edgecolor=CURRENT if is_current else "0.35", linewidth=2.5 if is_current else 1,
        gid=f"box:{item.key}"))
    axes.text(x, top - box / 2, box_text(item), ha="center", va="center", fontsize=8)
    shown = [(s, t) for s, t in zip(item.symbols, item.tensors) if id(t) in gradients]
    if not shown:
        return
    accumulated = any(counts[id(t)] > 1 for _, t in shown)
    axes.text(x, top - box - 0.1, "\n".join(f"${bar(s)}$ = {compact(gradients[id(t)])}"
                                            for s, t in shown),
              ha="center", va="top", fontsize=8, color=ACCUMULATED if accumulated else GRADIENT)
    if accumulated:
        axes.text(x + BOX_WIDTH / 2, top, "+=", ha="center", va="center", fontsize=8,
                  color="white", fontweight="bold", gid=f"plus-equals:{item.key}",
                  bbox=dict(boxstyle="round,pad=0.25", facecolor=ACCUMULATED, edgecolor="none"))


def draw_edges(axes, graph, tops, current):
    """An arrow from each input to the node that reads it: bent up over the
    columns it skips, and bent apart where one node reads an input twice.
    Returns the height the highest arrow reaches."""
    repeats, drawn, highest = Counter(graph.edges), Counter(), 0.0
    for source, node in graph.edges:
        (x0, top0), (x1, top1) = tops[source], tops[node]
        start = (x0 + BOX_WIDTH / 2, top0 - box_heights(graph.items[source])[0] / 2)
        end = (x1 - BOX_WIDTH / 2, top1 - box_heights(graph.items[node])[0] / 2)
        skipped = graph.items[node].column - graph.items[source].column - 1
        # matplotlib's arc3 bends a left-to-right arrow down by rad / 2 of its length
        bend = -BEND * skipped + (drawn[source, node] - (repeats[source, node] - 1) / 2)
        drawn[source, node] += 1
        highest = max(highest, (start[1] + end[1]) / 2 - bend * (end[0] - start[0]) / 2)
        colour = CURRENT if node == current else "0.35"
        axes.annotate("", xy=end, xytext=start,
                      arrowprops=dict(arrowstyle="-|>", color=colour, shrinkA=0, shrinkB=0,
                                      linewidth=2 if node == current else 1,
                                      connectionstyle=f"arc3,rad={bend}"))
    return highest


def draw_tape(graph, gradients, counts, current, title, text):
    """The tape as boxes and arrows, ``text`` under it.

    ``gradients`` (``id(tensor)`` -> gradient so far) are written under the
    tensors, ``counts`` (``id(tensor)`` -> contributions received) marks the
    ``+=`` ones, ``current`` is the key of the node to highlight (or ``None``).
    """
    tops, height = box_tops(graph)
    columns = max(item.column for item in graph.items.values()) + 1
    width = max((columns - 1) * COLUMN_PITCH + BOX_WIDTH + 0.4, 8.5 / INCH)
    figure = plt.figure()
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    above = draw_edges(axes, graph, tops, current) + 0.3
    for item in graph.items.values():
        draw_box(axes, item, *tops[item.key], gradients, counts, current)
    graph_inches = (height + above + 0.3) * INCH
    text_inches = 0.19 * (text.count("\n") + 1) + 0.3  # the text, then the two lines of KEY
    total = graph_inches + text_inches + 0.35  # and the title
    figure.set_size_inches(width * INCH, total)
    axes.set_position((0, text_inches / total, 1, graph_inches / total))
    axes.set(xlim=(-BOX_WIDTH / 2 - 0.2, width - BOX_WIDTH / 2 - 0.2), ylim=(-height - 0.3, above))
    axes.set_title(title, fontsize=11)
    words = figure.add_axes((0, 0, 1, text_inches / total))
    words.set_axis_off()
    words.text(0.01, 1, text, ha="left", va="top", fontsize=9, transform=words.transAxes)
    words.text(0.01, 0.02, KEY, ha="left", va="bottom", fontsize=7, color="0.4",
               transform=words.transAxes)
    return figure


# -- the explorer -------------------------------------------------------------------------------

@dataclass
class Replay:
    """An expression recorded, its tape as boxes, and every step of its reverse walk."""

    recording: Recording
    graph: TapeGraph
    steps: list


def replay(expression):
    """Record ``expression`` and walk its tape backwards once, keeping every step."""
    recording = record(expression)
    return Replay(recording, tape_graph(recording),
                  list(reverse_walk_steps(recording.tape, recording.target)))


@dataclass
class TapeResult:
    """The figure at ``step`` (0: the forward pass only) of the reverse walk of
    ``expression``: the node processed at this step (``highlighted``, its
    position on the tape, ``None`` at step 0), the gradients so far by symbol,
    the symbols marked ``+=`` (``accumulated``), and the words under the figure."""

    expression: str
    step: int
    steps: list
    highlighted: Optional[int]
    gradients: dict
    accumulated: list
    text: str
    figure: plt.Figure


def show_step(label, played, step):
    """The figure and words of ``played`` (a :class:`Replay` of the expression
    ``label``) after ``step`` steps of its reverse walk."""
    recording, graph, steps = played.recording, played.graph, played.steps
    seed = {id(recording.target): seed_gradient(recording.target.value, None)}
    counts = Counter({id(recording.target): 1})
    for taken in steps[:step]:
        counts.update(id(t) for t, c in zip(taken.node.inputs, taken.contributions)
                      if c is not None)
    if step == 0:
        gradients, current, text = {}, None, describe_start(recording, len(steps))
        title = f"{label}: the forward pass, as the tape recorded it"
    else:
        done = steps[step - 1]
        before = steps[step - 2].gradients if step > 1 else seed
        gradients, current = done.gradients, f"node:{done.index}"
        text = describe_step(graph, done, before, step, len(steps))
        if step == len(steps):
            text += "\n" + describe_end(recording, gradients)
        title = f"{label}: the backward pass, step {step} of {len(steps)}"
    figure = draw_tape(graph, gradients, counts, current, title, text)
    by_symbol = {graph.symbols[key]: gradient for key, gradient in gradients.items()}
    accumulated = [graph.symbols[key] for key, count in counts.items() if count > 1]
    return TapeResult(label, step, steps, None if current is None else done.index, by_symbol,
                      accumulated, text, figure)


def tape_explorer(expression=None, step=None):
    """Pick an expression of :data:`EXPRESSIONS` and a step of its backward
    pass: see the tape it recorded and the gradients built up so far.

    ``expression`` is the label shown first (by default the first);
    ``step`` the step shown first, from 0 (the forward pass only) to the
    number of nodes (by default: the last, the backward pass done).
    """
    labels = list(EXPRESSIONS)
    if expression is None:
        expression = labels[0]
    if not isinstance(expression, str) or expression not in EXPRESSIONS:
        raise (ValueError if isinstance(expression, str) else TypeError)(
            f"tape_explorer: expression must be one of {labels}, got {expression!r}"
            f"{closest(expression, labels) if isinstance(expression, str) else ''}")
    played = {label: replay(e) for label, e in EXPRESSIONS.items()}
    total = len(played[expression].steps)
    step = total if step is None else whole_number("tape_explorer", "step", step, minimum=0)
    if step > total:
        raise ValueError(f"tape_explorer: step must be from 0 to {total} (the nodes of "
                         f"{expression!r}), got {step}")
    menu = ipywidgets.Dropdown(options=labels, value=expression, description="expression")
    slider = ipywidgets.IntSlider(value=step, min=0, max=total, description="step",
                                  continuous_update=False)

    def follow_expression(change):
        """A new expression: the slider spans its steps, and stays at the end if it was there."""
        at_end = slider.value == slider.max
        slider.max = len(played[change.new].steps)
        if at_end:
            slider.value = slider.max

    menu.observe(follow_expression, "value")  # before interactive's own observer

    def explore(expression, step):
        return show_step(expression, played[expression], step)

    return interactive(explore, expression=menu, step=slider)
