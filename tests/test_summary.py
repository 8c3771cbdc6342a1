"""model.summary(): Keras 3's table, character for character.

The expected tables were printed by Keras 3.15 (outside a terminal, where it
draws 76 characters wide) for the same models; tests/test_models_parity.py
compares with Keras live."""
import numpy as np

from nnlib.layers import Add, Concatenate, Dense
from nnlib.models import Input, Model, Sequential
from nnlib.models.summary import column_widths, summary_text

KERAS_SEQUENTIAL = """\
Model: "classifier"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ hidden (Dense)                  │ (None, 8)              │            40 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ scores (Dense)                  │ (None, 3)              │            27 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 67 (268.00 B)
 Trainable params: 67 (268.00 B)
 Non-trainable params: 0 (0.00 B)"""

KERAS_FUNCTIONAL = """\
Model: "two"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ image (InputLayer)  │ (None, 8)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ h (Dense)           │ (None, 4)         │         36 │ image[0][0]       │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ meta (InputLayer)   │ (None, 2)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ cat (Concatenate)   │ (None, 6)         │          0 │ h[0][0],          │
│                     │                   │            │ meta[0][0]        │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ cls (Dense)         │ (None, 3)         │         21 │ cat[0][0]         │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ aux (Dense)         │ (None, 1)         │          7 │ cat[0][0]         │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 64 (256.00 B)
 Trainable params: 64 (256.00 B)
 Non-trainable params: 0 (0.00 B)"""


def sequential():
    return Sequential([Input((4,)), Dense(8, activation="relu", name="hidden"),
                       Dense(3, name="scores")], name="classifier")


def two_by_two():
    image, meta = Input((8,), name="image"), Input((2,), name="meta")
    joined = Concatenate(name="cat")([Dense(4, name="h")(image), meta])
    return Model([image, meta], [Dense(3, name="cls")(joined), Dense(1, name="aux")(joined)],
                 name="two")


def printed(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def test_sequential_summary_is_keras_s():
    assert printed(sequential()) == KERAS_SEQUENTIAL


def test_functional_summary_has_connected_to_and_input_rows():
    assert printed(two_by_two()) == KERAS_FUNCTIONAL


def test_a_chain_built_functionally_has_no_connected_to_column():
    x = Input((4,), name="x")
    text = summary_text(Model(x, Dense(3, name="d")(x), name="chain"))
    assert "Connected to" not in text and "│ x (InputLayer)" in text


KERAS_SHARED_TRAINABLE = """\
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)      ┃ Output Shape    ┃   Param # ┃ Connected to   ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━┩
│ a (InputLayer)    │ (None, 3)       │         0 │ -              │   -   │
├───────────────────┼─────────────────┼───────────┼────────────────┼───────┤
│ b (InputLayer)    │ (None, 3)       │         0 │ -              │   -   │
├───────────────────┼─────────────────┼───────────┼────────────────┼───────┤
│ shared (Dense)    │ (None, 2)       │         8 │ a[0][0],       │   Y   │
│                   │                 │           │ b[0][0]        │       │
├───────────────────┼─────────────────┼───────────┼────────────────┼───────┤
│ add (Add)         │ (None, 2)       │         0 │ shared[0][0],  │   -   │
│                   │                 │           │ shared[1][0]   │       │
└───────────────────┴─────────────────┴───────────┴────────────────┴───────┘
 Total params: 8 (32.00 B)
 Trainable params: 8 (32.00 B)
 Non-trainable params: 0 (0.00 B)"""

KERAS_FROZEN = """\
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ hidden (Dense)              │ (None, 8)             │         40 │   N   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ scores (Dense)              │ (None, 3)             │         27 │   Y   │
└─────────────────────────────┴───────────────────────┴────────────┴───────┘
 Total params: 67 (268.00 B)
 Trainable params: 27 (108.00 B)
 Non-trainable params: 40 (160.00 B)"""


def test_shared_layers_list_every_call_in_keras_order():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = Dense(2, name="shared")
    model = Model([a, b], Add(name="add")([shared(a), shared(b)]))
    assert printed(model, show_trainable=True).split("\n", 1)[1] == KERAS_SHARED_TRAINABLE


def test_frozen_layers_count_as_non_trainable_and_show_trainable():
    model = sequential()
    model.get_layer("hidden").trainable = False
    assert printed(model, show_trainable=True).split("\n", 1)[1] == KERAS_FROZEN


def test_optimizer_state_is_counted_once_it_exists():
    model = sequential()
    model.compile("adam", "mse")
    assert "Optimizer params" not in summary_text(model)
    model.fit(np.ones((4, 4)), np.ones((4, 3)), verbose=0)
    text = summary_text(model)
    assert " Total params: 201 (804.00 B)" in text
    assert " Optimizer params: 134 (536.00 B)" in text  # Adam's m and v for 67 weights


def test_an_unbuilt_model_shows_question_marks():
    text = summary_text(Sequential([Dense(2, name="later")], name="lazy"))
    assert "│ later (Dense)                   │ ?                      │   0 (unbuilt) │" in text


def test_columns_are_squeezed_as_rich_squeezes_them():
    assert column_widths([0.45, 0.80, 1.0], 76) == [33, 24, 15]
    assert column_widths([0.3, 0.56, 0.74, 1.0], 76) == [21, 19, 12, 19]
    assert sum(column_widths([0.3, 0.56, 0.74, 1.0], 108)) == 108 - 5
