"""The tape explorer of the automatic differentiation chapter, driven from Python.

The replayed reverse walk against ``tape.gradient`` (exactly, for every
expression of the menu, a node the target does not need, and a node with two
outputs); the drawing (one box per node and per leaf, the highlighted node,
the ``+=`` badges); the words under it; the controls; the refused arguments."""
from collections import Counter

import matplotlib.colors
import numpy as np
import pytest

from nnlib import ops
from nnlib.ops.tape import trace
from nnlib.widgets.tape_explorer import (CURRENT, EXPRESSIONS, record, replay,
                                         reverse_walk_steps, show_step, tape_explorer)
from widget_testing import control

LABELS = list(EXPRESSIONS)
FAN_OUT = "a = x * w; y = sum(a * a + a)"


def patches(figure, prefix):
    """``{gid: artist}`` of the figure's artists whose gid starts with ``prefix``."""
    found = figure.findobj(lambda artist: (artist.get_gid() or "").startswith(prefix))
    return {artist.get_gid(): artist for artist in found}


def used_more_than_once(tape):
    """The ids of the tensors that the nodes of ``tape`` read more than once."""
    reads = Counter(id(t) for node in tape.nodes for t in node.inputs if t is not None)
    return {key for key, count in reads.items() if count > 1}


# -- the replayed walk is tape.gradient's ------------------------------------------------------

@pytest.mark.parametrize("label", LABELS)
def test_replayed_walk_ends_with_tape_gradient_exactly(label):
    recording = record(EXPRESSIONS[label])
    steps = list(reverse_walk_steps(recording.tape, recording.target))
    assert [step.index for step in steps] == list(reversed(range(len(recording.tape.nodes))))
    expected = recording.tape.gradient(recording.target, recording.sources)
    for source, gradient in zip(recording.sources, expected):
        np.testing.assert_array_equal(steps[-1].gradients[id(source)], gradient)


def test_walk_skips_a_node_the_target_does_not_need():
    x = np.array([1.0, -2.0, 3.0])
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        ops.exp(t)  # recorded, but y does not read it
        y = ops.sum(t * t)
    steps = list(reverse_walk_steps(tape, y))
    assert [step.node.name for step in steps] == ["sum", "multiply"]
    np.testing.assert_array_equal(steps[-1].gradients[id(t)], tape.gradient(y, x))


def test_walk_of_a_node_with_two_outputs_one_unused():
    """The unused output's incoming gradient is zeros, as in ``tape.gradient``."""
    def halves(x):
        return x[:2], x[2:]

    def halves_vjp(dys, ys, x):
        return (np.concatenate(dys),)

    x = np.array([1.0, 2.0, 3.0, 4.0])
    with ops.GradientTape() as tape:
        t = tape.watch(x)
        first, _ = trace(halves, halves_vjp, t)
        y = ops.sum(first * 3.0)
    steps = list(reverse_walk_steps(tape, y))
    split = steps[-1]
    assert split.node.name == "halves"
    np.testing.assert_array_equal(split.incoming[1], np.zeros(2))
    np.testing.assert_array_equal(split.gradients[id(t)], tape.gradient(y, x))
    np.testing.assert_array_equal(split.gradients[id(t)], [3.0, 3.0, 0.0, 0.0])


def test_walk_undoes_broadcasting_and_adds_a_second_use():
    """b (a scalar added to 3 values) gets the sum of 3 gradients; ``a``, read
    three times, the sum of its three contributions."""
    steps = replay(EXPRESSIONS["y = sum((x * w + b) ** 2)"]).steps
    add = next(step for step in steps if step.node.name == "add")
    assert add.summed == [False, True]
    assert np.shape(add.contributions[1]) == () and np.shape(add.incoming) == (3,)
    assert add.contributions[1] == pytest.approx(add.incoming.sum())
    played = replay(EXPRESSIONS[FAN_OUT])
    a = played.recording.tape.nodes[0].outputs[0]
    parts = [c for step in played.steps for t, c in zip(step.node.inputs, step.contributions)
             if t is a]
    assert len(parts) == 3
    np.testing.assert_allclose(played.steps[-1].gradients[id(a)], sum(parts), rtol=1e-15)


# -- the drawing -------------------------------------------------------------------------------

@pytest.mark.parametrize("label", LABELS)
def test_one_box_per_node_and_per_leaf(label):
    played = replay(EXPRESSIONS[label])
    tape = played.recording.tape
    watched = {id(t) for node in tape.nodes for t in node.inputs if t is not None} - \
        {id(y) for node in tape.nodes for y in node.outputs}
    constants = {id(v) for node in tape.nodes for t, v in zip(node.inputs, node.values)
                 if t is None}
    figure = show_step(label, played, 0).figure
    boxes = patches(figure, "box:")
    assert len(boxes) == len(tape.nodes) + len(watched) + len(constants)
    assert sum(gid.startswith("box:node:") for gid in boxes) == len(tape.nodes)
    texts = [text.get_text() for text in figure.axes[0].texts]
    for node in tape.nodes:
        assert any(text.startswith(node.name + "\n") for text in texts), node.name
    for name in EXPRESSIONS[label].watched:
        assert any(text.startswith(f"watched input\n${name}$ =") for text in texts), name


def test_stepping_moves_the_highlight_through_the_tape_backwards():
    label = LABELS[0]
    played = replay(EXPRESSIONS[label])
    current = matplotlib.colors.to_rgba(CURRENT)
    first = show_step(label, played, 0)
    assert first.highlighted is None and not first.gradients
    assert all(box.get_edgecolor() != current for box in patches(first.figure, "box:").values())
    highlighted = []
    for step in range(1, len(played.steps) + 1):
        result = show_step(label, played, step)
        boxes = patches(result.figure, "box:")
        lit = [gid for gid, box in boxes.items() if box.get_edgecolor() == current]
        assert lit == [f"box:node:{result.highlighted}"]
        highlighted.append(result.highlighted)
    assert highlighted == [3, 2, 1, 0]


@pytest.mark.parametrize("label", LABELS)
def test_plus_equals_marks_exactly_the_tensors_read_twice(label):
    played = replay(EXPRESSIONS[label])
    graph = played.graph
    expected = {graph.symbols[key] for key in used_more_than_once(played.recording.tape)}
    assert show_step(label, played, 0).accumulated == []
    final = show_step(label, played, len(played.steps))
    assert set(final.accumulated) == expected
    badges = patches(final.figure, "plus-equals:")
    assert {gid.removeprefix("plus-equals:") for gid in badges} == \
        {key for key, item in graph.items.items() if set(item.symbols) & expected}


def test_fan_out_is_marked_once_its_second_contribution_arrives():
    played = replay(EXPRESSIONS[FAN_OUT])
    names = [step.node.name for step in played.steps]
    assert names == ["sum", "add", "multiply", "multiply"]
    assert show_step(FAN_OUT, played, 2).accumulated == []  # add: a's first contribution
    assert show_step(FAN_OUT, played, 3).accumulated == ["a"]  # a * a: two more
    assert "the += rule" in show_step(FAN_OUT, played, 3).text


@pytest.mark.parametrize("label", LABELS)
def test_shown_gradients_are_the_walk_so_far(label):
    played = replay(EXPRESSIONS[label])
    symbols = played.graph.symbols
    for step, done in enumerate(played.steps, start=1):
        shown = show_step(label, played, step).gradients
        assert shown.keys() == {symbols[key] for key in done.gradients}
        for key, gradient in done.gradients.items():
            np.testing.assert_array_equal(shown[symbols[key]], gradient)


def test_words_say_what_the_step_did():
    label = LABELS[0]
    played = replay(EXPRESSIONS[label])
    start = show_step(label, played, 0).text
    assert start.startswith("Forward pass: the tape recorded 4 nodes")
    add = show_step(label, played, 3).text  # sum, power, then add
    assert add.startswith("Step 3 of 4: add")
    assert "broadcast undone" in add
    last = show_step(label, played, 4).text
    gradient_w = played.recording.tape.gradient(played.recording.target,
                                                played.recording.arguments["w"])
    assert r"$x$ is a constant: no gradient" in last
    assert r"$\bar{w}$ += $\bar{t}_{1} \cdot x$ = [2, -6, 3]" in last
    np.testing.assert_array_equal(gradient_w, [2.0, -6.0, 3.0])
    assert "Backward pass done" in last


# -- the explorer ---------------------------------------------------------------------------------

def test_first_view_is_the_whole_backward_pass():
    widget = tape_explorer()
    result = widget.result
    assert result.expression == LABELS[0] and result.step == len(result.steps) == 4
    assert control(widget, "step").max == 4
    assert result.highlighted == 0 and "Backward pass done" in result.text


def test_menu_and_slider_follow_each_other():
    widget = tape_explorer()
    step = control(widget, "step")
    control(widget, "expression").value = "y = sum(tanh(x @ W))"  # 3 nodes, at the end
    assert (step.max, step.value, widget.result.step) == (3, 3, 3)
    step.value = 1
    assert widget.result.highlighted == 2  # sum, the last of tanh(x @ W)'s 3 nodes
    control(widget, "expression").value = FAN_OUT
    assert (step.max, step.value) == (4, 1)
    assert widget.result.expression == FAN_OUT and widget.result.highlighted == 3


def test_explorer_starts_where_asked():
    result = tape_explorer(expression=FAN_OUT, step=0).result
    assert (result.expression, result.step, result.highlighted) == (FAN_OUT, 0, None)


def test_explorer_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"tape_explorer: expression must be one of .* got "
                                         r"'y = sum\(tanh\(x @ w\)\)' \(did you mean"):
        tape_explorer(expression="y = sum(tanh(x @ w))")
    with pytest.raises(TypeError, match="tape_explorer: expression must be one of"):
        tape_explorer(expression=1)
    with pytest.raises(ValueError, match=r"tape_explorer: step must be from 0 to 3 \(the nodes "
                                         r"of 'y = sum\(tanh\(x @ W\)\)'\), got 4"):
        tape_explorer(expression="y = sum(tanh(x @ W))", step=4)
    with pytest.raises(ValueError, match="tape_explorer: step must be a whole number >= 0"):
        tape_explorer(step=-1)
    with pytest.raises(TypeError, match="tape_explorer: step must be a whole number"):
        tape_explorer(step="2")


def test_reverse_walk_steps_refuses_bad_arguments():
    recording = record(EXPRESSIONS[LABELS[0]])
    with pytest.raises(TypeError, match="reverse_walk_steps: tape must be an ops.GradientTape"):
        reverse_walk_steps("tape", recording.target)
    with pytest.raises(ValueError, match="target must be a tensor computed on this tape"):
        reverse_walk_steps(recording.tape, np.array(1.0))
    with pytest.raises(ValueError, match="target must be a tensor computed on this tape"):
        reverse_walk_steps(record(EXPRESSIONS[FAN_OUT]).tape, recording.target)
    not_scalar = recording.tape.nodes[0].outputs[0]
    with pytest.raises(ValueError, match=r"target must be a scalar, got shape \(3,\)"):
        reverse_walk_steps(recording.tape, not_scalar)
