"""The registry: lookups, aliases, errors, and the reference tables it builds."""
import re

import pytest

import nnlib
from nnlib import activations, losses, metrics, registry
from nnlib.registry import KINDS


@pytest.fixture
def cleanup():
    """Names registered during a test, removed afterwards."""
    names = []
    yield names
    for kind, name in names:
        registry.unregister(kind, name)


@pytest.mark.parametrize("name", ["mean_squared_error", "MeanSquaredError", "MEAN_SQUARED_ERROR",
                                  "meansquarederror", "mse", "MSE"])
def test_lookup_ignores_case_and_underscores(name):
    assert registry.entry_for("loss", name).cls is losses.MeanSquaredError
    assert isinstance(nnlib.get("loss", name), losses.MeanSquaredError)


def test_aliases_resolve_to_their_class():
    assert registry.entry_for("metric", "acc").cls is metrics.Accuracy
    assert registry.entry_for("loss", "sparse_categorical_crossentropy").cls is \
        losses.SparseCategoricalCrossentropy
    assert registry.entry_for("initializer", "glorot_uniform").name == "GlorotUniform"


def test_get_passes_keyword_arguments_and_returns_instances_unchanged():
    relu = nnlib.get("activation", "relu", negative_slope=0.1)
    assert relu.negative_slope == 0.1
    assert nnlib.get("activation", relu) is relu


def test_get_rejects_an_instance_of_the_wrong_kind():
    with pytest.raises(TypeError, match="expected a loss name or instance"):
        nnlib.get("loss", activations.ReLU())


def test_unknown_name_suggests_the_closest_and_lists_the_names_compile_takes():
    with pytest.raises(ValueError) as error:
        nnlib.get("activation", "swishy")
    message = str(error.value)
    assert message.startswith("unknown activation 'swishy' (did you mean 'swish'?); "
                              "expected one of 'elu', 'gelu', 'hard_sigmoid', ")
    for alias in ("'linear'", "'relu'", "'sigmoid'", "'softmax'", "'tanh'", "'silu'"):
        assert alias in message
    assert message.endswith("(or a class name, such as 'ELU')")


@pytest.mark.parametrize("kind, typo, meant", [
    ("loss", "mean_squared_eror", "mean_squared_error"),
    ("loss", "MeanSquaredEror", "mean_squared_error"),  # case and underscores do not matter
    ("loss", "categorical_crossentrophy", "categorical_crossentropy"),
    ("metric", "acuracy", "accuracy"),
    ("optimizer", "adamm", "adam"),
    ("optimizer", "RMSProp2", "rmsprop"),
    ("initializer", "glorot_unifrom", "GlorotUniform"),
    ("layer", "Conv2", "conv2d"),
])
def test_every_getter_suggests_the_closest_name(kind, typo, meant):
    with pytest.raises(ValueError, match=re.escape(f"unknown {kind} {typo!r} (did you mean "
                                                   f"{meant!r}?); expected one of ")):
        nnlib.get(kind, typo)


def test_a_name_with_nothing_close_gets_no_suggestion_but_the_list():
    with pytest.raises(ValueError, match=re.escape(
            "unknown optimizer 'lbfgs'; expected one of 'adadelta', 'adagrad', 'adam', "
            "'adamw', 'nadam', 'rmsprop', 'sgd' (or a class name, such as 'Adadelta')")):
        nnlib.get("optimizer", "lbfgs")


def test_a_name_that_is_not_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="expected a layer name \\(a string\\), got 5"):
        registry.entry_for("layer", 5)


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown kind 'layers'"):
        registry.entries("layers")
    with pytest.raises(ValueError, match="unknown kind"):
        registry.register("widget", description="d", use_case="u")


def test_entries_are_listed_once_in_registration_order():
    names = [e.name for e in registry.entries("activation")]
    assert names[:5] == ["ReLU", "Sigmoid", "Tanh", "Softmax", "Linear"]
    assert len(names) == len(set(names))


def test_registering_another_class_under_a_taken_name_raises():
    class ReLU(activations.ElementwiseActivation):
        pass

    with pytest.raises(ValueError, match="'relu' is taken by nnlib.activations.ReLU"):
        registry.register("activation", description="d", use_case="u")(ReLU)
    assert registry.entry_for("activation", "relu").cls is activations.ReLU


def test_an_alias_clash_raises_and_registers_nothing():
    class Rectifier(activations.ElementwiseActivation):
        pass

    with pytest.raises(ValueError, match="taken"):
        registry.register("activation", aliases=("relu",), description="d",
                          use_case="u")(Rectifier)
    with pytest.raises(ValueError, match="unknown activation"):
        registry.entry_for("activation", "Rectifier")


def test_registering_the_same_class_again_is_harmless():
    # As when a module is reloaded: the same qualified class takes its own place again.
    before = registry.entries("activation")
    entry = registry.entry_for("activation", "relu")
    registry.register("activation", family=entry.family, aliases=entry.aliases,
                      description=entry.description, use_case=entry.use_case)(activations.ReLU)
    assert registry.entries("activation") == before


def test_unregister_removes_name_and_aliases(cleanup):
    class Cube(activations.ElementwiseActivation):
        pass

    registry.register("activation", aliases=("cube_it",), description="x^3",
                      use_case="nothing")(Cube)
    assert registry.entry_for("activation", "cube_it").cls is Cube
    registry.unregister("activation", "cube")
    for name in ("Cube", "cube_it"):
        with pytest.raises(ValueError):
            registry.entry_for("activation", name)


def test_entry_records_docs_and_differentiability():
    entry = registry.entry_for("activation", "sigmoid")
    assert "logistic function" in entry.docs
    assert entry.differentiable
    assert not registry.entry_for("metric", "accuracy").differentiable


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_has_its_chapter_columns(kind):
    table = nnlib.table(kind)
    name_column, text1, text2 = KINDS[kind]
    assert table.columns == (name_column, "nnlib", text1, text2)
    assert table.to_markdown().splitlines()[0] == f"| {name_column} | nnlib | {text1} | {text2} |"


def test_seed_columns():
    assert nnlib.table("layer").columns[0::2] == ("Layer type", "Description")
    assert nnlib.table("activation").columns[2:] == ("What it does", "Where it is used")
    assert nnlib.table("optimizer").columns[3] == "Trade-offs"


def test_rows_hold_family_name_description_and_use_case():
    rows = nnlib.table("loss").rows
    assert rows[3] == ("Mean Squared Error", "MeanSquaredError", "Average of squared errors",
                       "For regression, measures average squared errors")
    assert [r[0] for r in rows[:4]] == ["Cross-Entropy"] * 3 + ["Mean Squared Error"]


def families(kind):
    """The families of a kind's table, in its order, once each."""
    return list(dict.fromkeys(row[0] for row in nnlib.table(kind).rows))


def test_every_kind_has_a_family_order():
    assert set(registry.FAMILY_ORDER) == set(KINDS)
    for kind, order in registry.FAMILY_ORDER.items():
        assert len(set(order)) == len(order), kind


def test_tables_follow_the_reference_sheets_order():
    # The seed families first, in the order of the author's notes, then nnlib's own.
    assert families("layer")[:7] == ["Dense", "Convolutional", "Pooling", "Recurrent", "LSTM",
                                     "GRU", "Embedding"]
    assert families("activation")[:3] == ["ReLU", "Sigmoid", "Tanh"]
    assert families("loss")[:2] == ["Cross-Entropy", "Mean Squared Error"]
    assert families("optimizer") == ["SGD", "Adam", "RMSprop", "AdaGrad"]
    assert families("model") == ["Sequential", "Functional API"]


def test_family_order_does_not_depend_on_registration_order(cleanup, monkeypatch):
    def register(name, family):
        cls = type(name, (activations.ElementwiseActivation,), {})
        registry.register("activation", family=family, description="d", use_case="u")(cls)
        cleanup.append(("activation", name))

    # Unlisted families come after the listed ones, sorted by name.
    register("Zigzag", "Zeta")
    register("Arch", "Alpha")
    register("Slope", "ReLU")  # a listed family: with its own, registered last
    names = [row[1] for row in nnlib.table("activation").rows]
    assert families("activation")[-2:] == ["Alpha", "Zeta"]
    assert names[-2:] == ["Arch", "Zigzag"]
    relus = [e.name for e in registry.entries("activation") if e.family == "ReLU"]
    assert names[:len(relus)] == relus and relus[-1] == "Slope"
    # Listed, they take their places in the order, whatever the registration order.
    order = registry.FAMILY_ORDER["activation"]
    monkeypatch.setitem(registry.FAMILY_ORDER, "activation", ("Zeta", *order[:2], "Alpha"))
    assert families("activation")[:4] == ["Zeta", "ReLU", "Sigmoid", "Alpha"]


def test_markdown_escapes_pipes_and_links_names(cleanup):
    class Pipe(activations.ElementwiseActivation):
        pass

    registry.register("activation", description="a | b", use_case="<html> & co")(Pipe)
    cleanup.append(("activation", "Pipe"))
    table = nnlib.table("activation", link=lambda entry: f"#{entry.name.lower()}")
    markdown = table.to_markdown()
    assert "| Pipe | [Pipe](#pipe) | a \\| b | <html> & co |" in markdown
    assert "[ReLU](#relu)" in markdown
    html = table._repr_html_()
    assert '<a href="#pipe">Pipe</a>' in html
    assert "&lt;html&gt; &amp; co" in html
    assert html.count("<tr>") == len(table.rows) + 1


def test_plain_text_table_is_aligned():
    lines = repr(nnlib.table("optimizer")).splitlines()
    assert lines[0].split() == ["Optimizer", "nnlib", "How", "it", "updates", "Trade-offs"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("SGD")


def test_snake_case_names():
    assert registry.snake_case("MaxPooling2D") == "max_pooling2d"
    assert registry.snake_case("SGD") == "sgd"
    assert registry.snake_case("MeanSquaredError") == "mean_squared_error"


def test_a_table_can_keep_some_families_in_the_sheets_order():
    table = nnlib.table("layer", families=["LSTM", "Recurrent"])
    assert [row[0] for row in table.rows] == ["Recurrent", "Recurrent", "LSTM"]
    assert [row[1] for row in table.rows] == ["SimpleRNN", "Bidirectional", "LSTM"]
    with pytest.raises(ValueError, match=r"no layer of the families \['Recurent'\]"):
        nnlib.table("layer", families=["Recurent"])


def test_a_table_can_span_kinds_for_a_row_of_the_notes_that_does():
    table = nnlib.table(("regularizer", "layer"), families=["L1/L2 Regularization", "Dropout"])
    assert table.columns[0] == "Regularizer"
    assert [row[:2] for row in table.rows] == [("Dropout", "Dropout"),
                                               ("L1/L2 Regularization", "L1L2"),
                                               ("L1/L2 Regularization", "L1"),
                                               ("L1/L2 Regularization", "L2")]
