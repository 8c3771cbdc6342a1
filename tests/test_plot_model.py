"""plot_model: where each box goes, what it says, and the figure it returns."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nnlib import plot_model  # noqa: E402
from nnlib.layers import Add, Concatenate, Dense  # noqa: E402
from nnlib.models import Input, Model, Sequential  # noqa: E402
from nnlib.models.plot import graph_layout  # noqa: E402


def residual():
    x = Input((4,), name="x")
    h = Dense(4, activation="relu", name="h")(x)
    y = Dense(4, name="y")(Dense(4, activation="relu", name="g")(h))
    return Model(x, Dense(2, name="out")(Add(name="add")([h, y])), name="residual")


def two_inputs():
    image, extra = Input((6,), name="image"), Input((2,), name="extra")
    joined = Concatenate(name="joined")([Dense(3, name="h")(image), extra])
    return Model([image, extra], [Dense(2, name="a")(joined), Dense(1, name="b")(joined)])


def texts(figure):
    return [t.get_text() for t in figure.axes[0].texts if t.get_text()]


def test_ranks_follow_the_longest_path_and_inputs_sit_above_their_reader():
    layout = graph_layout(two_inputs())
    rank = {n.layer.name: layout.rank[id(n)] for n in layout.nodes}
    assert rank == {"image": 0, "h": 1, "extra": 1, "joined": 2, "a": 3, "b": 3}
    slot = {n.layer.name: layout.slot[id(n)] for n in layout.nodes}
    assert slot["a"] == -slot["b"] == -0.5 and slot["joined"] == 0.0
    assert layout.width == 2 and layout.n_ranks == 4


def test_a_skip_connection_is_an_edge_across_ranks():
    layout = graph_layout(residual())
    edges = {(p.layer.name, c.layer.name) for p, c in layout.edges}
    assert ("h", "add") in edges and ("y", "add") in edges
    rank = {n.layer.name: layout.rank[id(n)] for n in layout.nodes}
    assert rank["add"] - rank["h"] == 3


def test_labels_show_names_types_shapes_and_options(tmp_path):
    figure = plot_model(two_inputs(), show_shapes=True, show_layer_activations=True,
                        show_trainable=True, show_dtype=True)
    labels = texts(figure)
    joined = next(t for t in labels if t.startswith("joined"))
    assert joined.split("\n") == ["joined (Concatenate)", "in: [(None, 3), (None, 2)]",
                                  "out: (None, 5)", "dtype: float32"]
    h = next(t for t in labels if t.startswith("h "))
    assert "activation: linear" in h and "trainable: Y" in h
    bare = texts(plot_model(two_inputs(), show_layer_names=False))
    assert sorted(bare) == ["Concatenate", "Dense", "Dense", "Dense", "InputLayer", "InputLayer"]
    plot_model(residual(), to_file=tmp_path / "graph.png", rankdir="LR")
    assert (tmp_path / "graph.png").read_bytes()[:4] == b"\x89PNG"
    plt.close("all")


def test_frozen_layers_are_shaded_and_arrows_drawn():
    model = Sequential([Input((3,), name="x"), Dense(2, name="frozen", trainable=False),
                        Dense(1, name="learns")])
    figure = plot_model(model)
    colours = {t.get_text().split()[0]: t.get_bbox_patch().get_facecolor()
               for t in figure.axes[0].texts if t.get_text()}
    assert colours["frozen"] != colours["learns"] and colours["x"] == colours["learns"]
    assert len(figure.axes[0].texts) == 3 + 2  # three boxes, two arrows
    with pytest.raises(ValueError, match="rankdir must be 'TB' or 'LR'"):
        plot_model(model, rankdir="BT")
    plt.close("all")
