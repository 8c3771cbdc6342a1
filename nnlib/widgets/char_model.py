"""A character-level language model of Python's own help text, and the recurrent
chapter's two explorers built on it: a text sampler and a gate explorer.

The model reads characters and, at every step, gives the scores (logits) of
the next one::

    Embedding(V, 32) -> LSTM(units, return_sequences=True) -> Dense(V)

It is trained by ``tools/train_char_model.py`` on the first 90% of
``python_help_text()`` (the rest is held out) and stored beside the chapter
as a ``.nnlib`` file with a JSON file that holds the alphabet and the
training history.
"""
import json
from dataclasses import dataclass
from pathlib import Path

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np

from .. import Input, Sequential, activations
from ..checks import one_of, real_number
from ..layers import Dense, Embedding
from ..layers.rnn import Recurrent
from ..losses import SparseCategoricalCrossentropy
from ..saving import load_model
from .controls import interactive
from .embedding_explorer import python_help_text

HELD_OUT = 0.1


class Alphabet:
    """The characters a model knows, and the ids it reads them as (their rank)."""

    def __init__(self, characters):
        self.characters = "".join(characters)
        if len(set(self.characters)) != len(self.characters):
            raise ValueError("Alphabet: characters must be distinct")
        self.index = {c: i for i, c in enumerate(self.characters)}

    @classmethod
    def of(cls, text):
        """Every character of ``text``, sorted."""
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.characters)

    def encode(self, text):
        """``text`` as an int32 array of ids; a character outside the alphabet is an error."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"Alphabet: {unknown[:5]} not among the model's "
                             f"{len(self)} characters")
        return np.array([self.index[c] for c in text], dtype="int32")

    def decode(self, ids):
        return "".join(self.characters[int(i)] for i in ids)


def split_text(text=None, held_out=HELD_OUT):
    """The help text cut in two: the first ``1 - held_out`` to train on, the rest
    to measure on."""
    text = python_help_text() if text is None else text
    cut = int(len(text) * (1 - held_out))
    return text[:cut], text[cut:]


def next_character_windows(ids, steps):
    """Cut ``ids`` into windows of ``steps`` inputs, each with its targets, the
    same window shifted by one: ``x[n, t]`` is followed by ``y[n, t]``."""
    count = (len(ids) - 1) // steps
    x = ids[:count * steps].reshape(count, steps)
    y = ids[1:count * steps + 1].reshape(count, steps)
    return x, y


def char_model(alphabet_size, units=128, embedding=32):
    """The untrained model: embedding, one LSTM returning every step, logits."""
    from ..layers import LSTM
    return Sequential([Input((None,), dtype="int32"), Embedding(alphabet_size, embedding),
                       LSTM(units, return_sequences=True), Dense(alphabet_size)])


def check_temperature(owner, temperature):
    """A temperature must be a finite number > 0: :math:`s / T` is undefined at 0."""
    return real_number(owner, "temperature", temperature, low=0, low_open=True)


def tempered_softmax(scores, temperature):
    """:math:`\\operatorname{softmax}(s / T)` of the scores :math:`s`, in float64
    and normalised again, so that it sums to 1 as ``rng.choice`` requires."""
    p = activations.softmax(np.asarray(scores, "float64") / temperature)
    return p / p.sum()


@dataclass
class CharModel:
    """A trained model with its alphabet and the history of its training."""

    model: Sequential
    alphabet: Alphabet
    history: dict

    @property
    def recurrent(self):
        return next(layer for layer in self.model.layers if isinstance(layer, Recurrent))

    def save(self, path):
        """``path.nnlib`` and ``path.json`` (alphabet and history)."""
        path = Path(path)
        self.model.save(path.with_suffix(".nnlib"))
        path.with_suffix(".json").write_text(json.dumps(
            {"alphabet": self.alphabet.characters, "history": self.history}, indent=1) + "\n")

    @classmethod
    def load(cls, path):
        path = Path(path)
        meta = json.loads(path.with_suffix(".json").read_text())
        return cls(load_model(path.with_suffix(".nnlib")), Alphabet(meta["alphabet"]),
                   meta["history"])

    def cross_entropy(self, text, steps=200):
        """Mean cross-entropy (nats per character) of the model's next-character
        predictions over ``text``, read in windows of ``steps`` characters."""
        x, y = next_character_windows(self.alphabet.encode(text), steps)
        loss = SparseCategoricalCrossentropy(from_logits=True)
        return float(loss(y, self.model.predict(x, batch_size=64)))

    def trace(self, text):
        """The recurrent layer reading ``text``: every step's states and gates by
        name (``h``, ``c``, ``i``, ``f``, ``g``, ``o``), each ``(steps, units)``."""
        if not text:
            raise ValueError("CharModel: expected a text of at least one character, got ''")
        ids = self.alphabet.encode(text)[None]
        inside = self.recurrent.trace(self.model.layers[0](ids))
        return {name: values[0] for name, values in inside.items()}

    def states_after(self, text):
        """The recurrent layer's states after reading ``text`` (a batch of one)."""
        inside = self.trace(text)
        return [inside[name][-1:] for name in self.recurrent.cell.state_names]

    def next_character_probabilities(self, prompt, temperature=1.0):
        """The distribution ``sample`` draws the character after ``prompt`` from:
        :math:`\\operatorname{softmax}(s / T)`, one probability per character
        of the alphabet."""
        check_temperature("next_character_probabilities", temperature)
        head = self.model.layers[-1]
        return tempered_softmax(head(self.states_after(prompt)[0])[0], temperature)

    def sample(self, prompt, length=200, temperature=1.0, seed=0):
        """``length`` characters drawn one at a time after ``prompt``.

        Each character is drawn from :math:`\\operatorname{softmax}(s / T)`,
        the scores :math:`s` of the model divided by the temperature :math:`T`:
        below 1 the likeliest characters gain, above 1 the distribution
        flattens.  The states are carried from step to step, so each new
        character costs one step of the LSTM.
        """
        check_temperature("sample", temperature)
        embedding, recurrent, head = self.model.layers
        step = type(recurrent).from_config({**recurrent.get_config(),
                                            "return_sequences": False, "return_state": True})
        step.build((None, None, embedding.output_dim))
        step.set_weights(recurrent.get_weights())
        rng = np.random.default_rng(seed)
        states = self.states_after(prompt)
        drawn = []
        for _ in range(length):
            p = tempered_softmax(head(states[0])[0], temperature)
            drawn.append(rng.choice(len(p), p=p))
            _, *states = step(embedding(np.array([drawn[-1:]])), initial_state=states)
        return self.alphabet.decode(drawn)


# -- what the units track ------------------------------------------------------------------

FEATURES = ("inside parentheses", "inside quotes or backquotes", "position in line",
            "inside a word")
QUOTES = "'\"`"


def is_apostrophe(text, n):
    """Whether ``text[n]`` is a ``'`` between two letters, as in "don't"."""
    return (text[n] == "'" and 0 < n < len(text) - 1 and text[n - 1].isalpha()
            and text[n + 1].isalpha())


def unit_features(text):
    """Simple facts about each character of ``text``, as they stand once the
    character is read (an opening parenthesis is already inside), each a float
    array ``(len(text),)``:

    ``"inside parentheses"``
        1 while more ``(`` than ``)`` have been read, else 0;
    ``"inside quotes or backquotes"``
        1 from an opening ``'``, ``"`` or a backquote to the same character
        closing it; a run of one quote character (a reST double backquote, a
        triple quote) opens or closes once, an apostrophe between letters is
        not a quote, and a newline ends any quote;
    ``"position in line"``
        the characters read since the last newline (0 at the newline);
    ``"inside a word"``
        1 at a letter or a digit.

    >>> features = unit_features("f(a) 'b'")
    >>> features["inside parentheses"], features["inside quotes or backquotes"]
    (array([0., 1., 1., 0., 0., 0., 0., 0.]), array([0., 0., 0., 0., 0., 1., 1., 0.]))
    """
    features = {name: np.zeros(len(text)) for name in FEATURES}
    depth, column, opener = 0, 0, None
    for n, character in enumerate(text):
        if character == "(":
            depth += 1
        elif character == ")":
            depth = max(depth - 1, 0)
        if character == "\n":
            column, opener = 0, None
        else:
            column += 1
            if (character in QUOTES and text[n - 1:n] != character
                    and not is_apostrophe(text, n)):
                if opener is None:
                    opener = character  # opens a quote
                elif opener == character:
                    opener = None  # closes it (another kind of quote inside is text)
        features["inside parentheses"][n] = depth > 0
        features["inside quotes or backquotes"][n] = opener is not None
        features["position in line"][n] = column
        features["inside a word"][n] = character.isalnum()
    return features


def correlations(values, feature):
    """Pearson's :math:`r` between each column of ``values`` ``(steps, units)``
    and ``feature`` ``(steps,)``; 0 for a unit that never changes."""
    a, b = np.asarray(values, "float64"), np.asarray(feature, "float64")
    a, b = a - a.mean(axis=0), b - b.mean()
    spread = np.sqrt((a ** 2).sum(axis=0) * (b ** 2).sum())
    return np.divide(b @ a, spread, out=np.zeros(a.shape[1]), where=spread > 0)


def units_tracking(char_model, text, feature):
    """The units of the model's LSTM sorted by how closely their cell state
    :math:`c` follows ``feature`` (a name of ``unit_features``) while reading
    ``text``: a list of ``(unit, r)`` with Pearson's :math:`r`, largest
    :math:`|r|` first."""
    feature = one_of("units_tracking", "feature", feature, FEATURES)
    values = unit_features(text)[feature]
    if values.min() == values.max():
        raise ValueError(f"units_tracking: {feature!r} is {values[0]:g} all along the text; "
                         f"a correlation needs a text where it varies")
    r = correlations(char_model.trace(text)["c"], values)
    return [(int(unit), float(r[unit])) for unit in np.argsort(-np.abs(r), kind="stable")]


# -- the text sampler ------------------------------------------------------------------------

def visible(character):
    """A character as a figure can show it: a space as ␣, a newline as ↵."""
    return {" ": "␣", "\n": "↵"}.get(character, character)


def prompt_error(alphabet, prompt):
    """Why ``prompt`` cannot start a sample, or ``""`` if it can."""
    if not prompt:
        return "text_sampler: type a prompt of at least one character"
    try:
        alphabet.encode(prompt)
    except ValueError as error:
        return str(error)
    return ""


@dataclass
class SampleResult:
    """The text drawn after ``prompt`` and the distribution its first character
    was drawn from (``error`` says why nothing was drawn, if so)."""

    prompt: str
    temperature: float
    seed: int
    text: str
    probabilities: np.ndarray
    error: str
    figure: plt.Figure


def draw_next_character(char_model, prompt, probabilities, temperature, top=12):
    """Bars: the ``top`` likeliest characters after ``prompt`` at ``temperature``,
    each outlined at its probability at temperature 1 for comparison."""
    at_one = char_model.next_character_probabilities(prompt)
    order = np.argsort(-probabilities, kind="stable")[:top]
    positions = np.arange(len(order))
    figure, axes = plt.subplots(figsize=(8, 3))
    axes.bar(positions, probabilities[order], color="tab:blue",
             label=f"temperature {temperature:g}")
    axes.bar(positions, at_one[order], fill=False, edgecolor="black", label="temperature 1")
    axes.set_xticks(positions, [visible(char_model.alphabet.characters[i]) for i in order])
    axes.set(ylim=(0, 1), ylabel="probability",
             title=f"the next character after {prompt[-30:]!r}")
    axes.legend()
    figure.tight_layout()
    return figure


def text_sampler(char_model, prompt="The "):
    """A prompt, a temperature, a length and a seed: prints the prompt followed
    by the text the model draws after it, and draws the probabilities of the
    next character at that temperature against temperature 1."""

    def explore(prompt, temperature, length, seed):
        error = prompt_error(char_model.alphabet, prompt)
        if error:
            print(error)
            return SampleResult(prompt, temperature, seed, "", None, error, None)
        probabilities = char_model.next_character_probabilities(prompt, temperature)
        text = char_model.sample(prompt, length, temperature, seed)
        print(prompt + text)
        figure = draw_next_character(char_model, prompt, probabilities, temperature)
        return SampleResult(prompt, temperature, seed, text, probabilities, "", figure)

    return interactive(
        explore,
        prompt=ipywidgets.Text(value=prompt, description="prompt", continuous_update=False),
        temperature=ipywidgets.FloatSlider(value=0.5, min=0.1, max=2.0, step=0.1,
                                           description="temperature",
                                           continuous_update=False),
        length=ipywidgets.IntSlider(value=300, min=50, max=600, step=50, description="length",
                                    continuous_update=False),
        seed=ipywidgets.IntSlider(value=0, min=0, max=9, description="seed",
                                  continuous_update=False))


# -- the gate explorer -------------------------------------------------------------------------

QUANTITIES = {"c": "cell state c", "h": "output h", "i": "input gate i", "f": "forget gate f",
              "o": "output gate o", "g": "candidate g"}
GATES = ("i", "f", "o")  # sigmoids, in [0, 1]; c, h and g have a sign
DEFAULT_FEATURE = "inside parentheses"
GRID_WIDTH = 80  # nine lines in ten of the help text fit in a row, with their newline


@dataclass
class GateResult:
    """One unit's ``quantity`` at every step of a passage, as the figure colours it."""

    passage: str
    quantity: str
    unit: int
    values: np.ndarray
    text: str
    figure: plt.Figure


def character_grid(text, width=GRID_WIDTH):
    """Where each character of ``text`` sits when the text is laid out in rows
    of at most ``width`` characters, a newline ending its row: ``(rows, columns)``."""
    rows, columns = np.empty(len(text), int), np.empty(len(text), int)
    row = column = 0
    for n, character in enumerate(text):
        if column == width:
            row, column = row + 1, 0
        rows[n], columns[n] = row, column
        row, column = (row + 1, 0) if character == "\n" else (row, column + 1)
    return rows, columns


def colour_scale(quantity, values):
    """The colormap and range ``quantity`` is drawn with: a gate from 0 to 1; a
    signed quantity (c, h, g) in a diverging colormap centred at 0, out to the
    largest magnitude of ``values``."""
    if quantity in GATES:
        return plt.get_cmap("YlGnBu"), plt.Normalize(0, 1)
    limit = max(float(np.abs(values).max()), 1e-6)
    return plt.get_cmap("RdBu_r"), plt.Normalize(-limit, limit)


def ink(background):
    """Black or white, whichever reads better on the RGBA colour ``background``."""
    red, green, blue, _ = background
    return "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black"


def draw_gate(text, values, quantity, unit, label, width=GRID_WIDTH):
    """The passage as a grid of characters, each on the colour of ``values`` at
    its step (the value once the character is read), with a colour bar; below,
    the values against the step."""
    rows, columns = character_grid(text, width)
    grid = np.full((rows[-1] + 1, width), np.nan)
    grid[rows, columns] = values
    cmap, norm = colour_scale(quantity, values)
    figure, (ax_text, ax_line) = plt.subplots(
        2, 1, figsize=(11, 3.2 + 0.22 * len(grid)), layout="constrained",
        gridspec_kw={"height_ratios": [0.22 * len(grid) + 0.4, 2]})
    image = ax_text.imshow(grid, cmap=cmap, norm=norm, aspect="auto")
    for character, row, column, colour in zip(text, rows, columns, cmap(norm(values))):
        ax_text.text(column, row, "" if character == " " else visible(character),
                     ha="center", va="center", family="monospace", fontsize=8,
                     color=ink(colour))
    ax_text.set(xticks=[], yticks=[], title=f"{label}: {QUANTITIES[quantity]} of unit {unit}")
    figure.colorbar(image, ax=ax_text, label=QUANTITIES[quantity], pad=0.01)
    ax_line.plot(values, lw=1)
    if quantity in GATES:
        ax_line.set_ylim(-0.03, 1.03)
    else:
        ax_line.axhline(0, color="gray", lw=0.5)
    ax_line.set(xlim=(0, len(values) - 1), xlabel="step (character of the passage)",
                ylabel=QUANTITIES[quantity])
    return figure


def gate_explorer(char_model, passages, unit=None):
    """Pick a passage (``passages``: label -> text), a quantity of the LSTM (its
    cell state, output or a gate) and a unit: see the unit's value at every
    character of the passage.

    ``unit`` is the unit shown first; by default the one whose cell state best
    tracks ``"inside parentheses"`` (``units_tracking``) on the first passage,
    or unit 0 if that passage has no parentheses.
    """
    units = char_model.recurrent.units
    if not passages:
        raise ValueError("gate_explorer: passages must hold at least one {label: text}")
    traces = {label: char_model.trace(text) for label, text in passages.items()}
    first = next(iter(passages.values()))
    if unit is None:
        tracked = np.ptp(unit_features(first)[DEFAULT_FEATURE]) > 0
        unit = units_tracking(char_model, first, DEFAULT_FEATURE)[0][0] if tracked else 0
    if not (isinstance(unit, (int, np.integer)) and 0 <= unit < units):
        raise ValueError(f"gate_explorer: unit must be a whole number from 0 to {units - 1} "
                         f"(the LSTM has {units} units), got {unit!r}")

    def explore(passage, quantity, unit):
        values = traces[passage][quantity][:, unit]
        figure = draw_gate(passages[passage], values, quantity, unit, passage)
        return GateResult(passage, quantity, unit, values, passages[passage], figure)

    return interactive(
        explore,
        passage=ipywidgets.Dropdown(options=list(passages), description="passage"),
        quantity=ipywidgets.ToggleButtons(
            options=[(label, name) for name, label in QUANTITIES.items()],
            description="quantity"),
        unit=ipywidgets.IntSlider(value=int(unit), min=0, max=units - 1, description="unit",
                                  continuous_update=False))
