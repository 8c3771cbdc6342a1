"""The registry: one record per component, the source of every reference table.

A component joins nnlib by decorating its class::

    @register("activation", family="ReLU", aliases=("relu",),
              description="max(0, x): adds non-linearity cheaply",
              use_case="Hidden layers of most networks")
    class ReLU(ActivationFunction):
        '''Docstring with the maths.'''

From then on ``get("activation", "relu")`` builds one, the chapter's table
lists it, widget menus offer it and the test suite gradient-checks it.
"""
import html
import inspect
import re
from dataclasses import dataclass

from .checks import closest

# Each kind is one chapter: the heading of its name column and of its two
# text columns, following the columns of the author's notes.
KINDS = {
    "layer": ("Layer type", "Description", "Use case"),
    "initializer": ("Initializer", "How it draws", "Use"),
    "activation": ("Activation", "What it does", "Where it is used"),
    "regularizer": ("Regularizer", "What it is", "Why"),
    "loss": ("Loss", "What it measures", "Use"),
    "optimizer": ("Optimizer", "How it updates", "Trade-offs"),
    "schedule": ("Schedule", "How the rate changes", "Use"),
    "metric": ("Metric", "Definition", "Use"),
    "model": ("Model", "What it is", "When to use"),
}

# The order of the families in each kind's table: the rows of the author's
# reference sheet in its order, then the families nnlib has beyond the sheet.
# Rows nnlib has not written yet (Recurrent, LSTM, Precision...) keep their
# place; Dropout, a layer, also heads the sheet's regularization rows.  A family
# not listed comes after the listed ones, sorted by name (``family_key``);
# within a family, entries keep their registration order.
FAMILY_ORDER = {
    "layer": ("Dense", "Convolutional", "Pooling", "Recurrent", "LSTM", "GRU", "Embedding",
              "Dropout", "Spatial Dropout", "Alpha Dropout", "Gaussian Dropout",
              "Gaussian Noise", "Reshaping", "Activation", "Merging"),
    "initializer": ("Zeros", "Ones", "Constant", "RandomUniform", "RandomNormal",
                    "TruncatedNormal", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
                    "LecunUniform", "LecunNormal", "Orthogonal"),
    "activation": ("ReLU", "Sigmoid", "Tanh", "Softmax", "Linear"),
    "regularizer": ("Dropout", "L1/L2 Regularization"),
    "loss": ("Cross-Entropy", "Mean Squared Error", "Mean Absolute Error", "Huber", "Log-cosh",
             "KL divergence", "Hinge"),
    "optimizer": ("SGD", "Adam", "RMSprop", "AdaGrad"),
    "schedule": ("ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay"),
    "metric": ("Accuracy", "Precision", "Recall", "F1 Score", "AUC", "Mean Squared Error"),
    "model": ("Sequential", "Functional API"),
}

_ENTRIES = {kind: {} for kind in KINDS}


def snake_case(name):
    """``MaxPooling2D`` -> ``max_pooling2d``, the Keras style of default names.

    Keras's two rules: an underscore before a capitalised word, then between a
    lower-case letter and a capital (a digit followed by a capital is kept).

    >>> [snake_case(n) for n in ("MaxPooling2D", "SGD", "ReLU", "Conv2DTranspose")]
    ['max_pooling2d', 'sgd', 're_lu', 'conv2d_transpose']
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def normalize(name):
    """Names match ignoring case and underscores: ``mean_squared_error`` finds
    ``MeanSquaredError``."""
    return name.replace("_", "").lower()


@dataclass(frozen=True)
class Entry:
    """What the registry knows of one component."""

    kind: str
    name: str
    cls: type
    family: str
    aliases: tuple
    description: str
    use_case: str

    @property
    def docs(self):
        """The class docstring: the component's maths and usage."""
        return inspect.getdoc(self.cls) or ""

    @property
    def differentiable(self):
        return getattr(self.cls, "differentiable", False)


def register(kind, *, description, use_case, family=None, aliases=()):
    """Class decorator that records a component under ``kind``.

    ``family`` is the row of the author's notes the component belongs to
    (``MaxPooling2D`` and ``AveragePooling1D`` are both ``"Pooling"``); it
    defaults to the class name.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; kinds are {sorted(KINDS)}")

    def decorate(cls):
        entry = Entry(kind, cls.__name__, cls, family or cls.__name__,
                      tuple(aliases), description, use_case)
        entries = _ENTRIES[kind]
        for key in {normalize(entry.name), *map(normalize, entry.aliases)}:
            previous = entries.get(key)
            if previous is not None and _qualified(previous.cls) != _qualified(cls):
                raise ValueError(f"{kind} name {key!r} is taken by {_qualified(previous.cls)}")
        for key in {normalize(entry.name), *map(normalize, entry.aliases)}:
            entries[key] = entry
        return cls

    return decorate


def unregister(kind, name):
    """Remove a component and its aliases (used by tests and notebooks)."""
    entry = entry_for(kind, name)
    entries = _ENTRIES[kind]
    for key in [k for k, e in entries.items() if e is entry]:
        del entries[key]


def _qualified(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def entries(kind):
    """Every entry of ``kind``, once each, in registration order."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; kinds are {sorted(KINDS)}")
    unique = {id(e): e for e in _ENTRIES[kind].values()}
    return list(unique.values())


def family_key(kind, family):
    """Where ``family`` stands in the table of ``kind``: its place in
    ``FAMILY_ORDER``, or after every listed family, by name.

    >>> sorted(["Zeta", "SGD", "Alpha", "Adam"], key=lambda f: family_key("optimizer", f))
    ['SGD', 'Adam', 'Alpha', 'Zeta']
    """
    order = FAMILY_ORDER[kind]
    return (order.index(family), "") if family in order else (len(order), family)


def entry_for(kind, name):
    """The entry called ``name`` (or one of its aliases) in ``kind``.

    An unknown name is an error that suggests the closest name a user could
    have meant and lists the names ``kind`` accepts (``names(kind)``):

    >>> entry_for("optimizer", "adamm")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown optimizer 'adamm' (did you mean 'adam'?); expected one of 'adadelta', ...
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; kinds are {sorted(KINDS)}")
    if not isinstance(name, str):
        raise TypeError(f"expected {article(kind)} {kind} name (a string), got {name!r}")
    try:
        return _ENTRIES[kind][normalize(name)]
    except KeyError:
        accepted = names(kind)
        classes = [e.name for e in entries(kind)]
        also = "" if set(classes) <= set(accepted) else \
            f" (or a class name, such as {sorted(classes)[0]!r})"
        raise ValueError(f"unknown {kind} {name!r}{closest(name, accepted + classes)}; "
                         f"expected one of {', '.join(map(repr, accepted))}{also}") from None


def names(kind):
    """The names a user types for ``kind``, sorted: each entry's aliases (what
    ``compile`` takes: ``"mse"``, ``"adam"``), or its class name if it has none.

    >>> names("regularizer")
    ['l1', 'l1_l2', 'l1l2', 'l2']
    """
    typed = [name for e in entries(kind) for name in (e.aliases or (e.name,))]
    return sorted(typed, key=str.lower)


def article(word):
    """``a`` or ``an``, as English puts it before ``word`` (by its first letter)."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def get(kind, identifier, **kwargs):
    """Resolve ``identifier`` to a component of ``kind``.

    A string builds a new instance (keyword arguments go to the class), an
    instance of a registered class is returned as it is.

    >>> get("activation", "relu")
    ReLU(negative_slope=0.0, max_value=None, threshold=0.0)
    """
    if isinstance(identifier, str):
        return entry_for(kind, identifier).cls(**kwargs)
    if any(isinstance(identifier, e.cls) for e in entries(kind)):
        return identifier
    raise TypeError(f"expected {article(kind)} {kind} name or instance, got {identifier!r}")


class ReferenceTable:
    """A chapter's reference table: one row per registered component.

    Rows are grouped by family (the row of the author's notes), the families
    in the order of ``FAMILY_ORDER``, the entries of a family in registration
    order.  Renders as HTML in notebooks and as Markdown or plain text
    elsewhere.  ``link(entry)``, if given, returns the anchor each name links to;
    ``families``, if given, keeps only those rows of the notes (a chapter that
    covers part of a kind).  ``kind`` may be several kinds, for a row of the
    notes that spans them (Dropout, a layer, beside the L1/L2 regularizers): the
    first kind gives the columns and the order of the families.
    """

    def __init__(self, kind, link=None, families=None):
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        self.kind = kinds[0]
        family_col, text1, text2 = KINDS[self.kind]
        self.columns = (family_col, "nnlib", text1, text2)
        by_family = {}
        for entry in (entry for k in kinds for entry in entries(k)):
            by_family.setdefault(entry.family, []).append(entry)
        if families is not None:
            unknown = sorted(set(families) - set(by_family))
            if unknown:
                raise ValueError(f"table: no {' or '.join(kinds)} of the families {unknown}; "
                                 f"the families are {sorted(by_family)}")
            by_family = {family: by_family[family] for family in families}
        self.entries = [entry for family in
                        sorted(by_family, key=lambda f: family_key(self.kind, f))
                        for entry in by_family[family]]
        self.link = link

    @property
    def rows(self):
        return [(e.family, e.name, e.description, e.use_case) for e in self.entries]

    def to_markdown(self):
        lines = ["| " + " | ".join(self.columns) + " |",
                 "|" + "---|" * len(self.columns)]
        for entry, row in zip(self.entries, self.rows):
            cells = list(row)
            if self.link:
                cells[1] = f"[{entry.name}]({self.link(entry)})"
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines)

    def _repr_markdown_(self):
        return self.to_markdown()

    def _repr_html_(self):
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = []
        for entry, row in zip(self.entries, self.rows):
            cells = [html.escape(c) for c in row]
            if self.link:
                cells[1] = f'<a href="{html.escape(self.link(entry))}">{cells[1]}</a>'
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        return (f'<table class="nnlib-reference-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table>")

    def __repr__(self):
        widths = [max(len(str(r[i])) for r in [self.columns, *self.rows])
                  for i in range(len(self.columns))]
        lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()
                 for row in [self.columns, *self.rows]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


def table(kind, link=None, families=None):
    """The reference table of ``kind`` (a kind or several), built from the
    registry (only the rows of ``families`` if given)."""
    return ReferenceTable(kind, link, families)
