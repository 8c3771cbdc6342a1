"""Adding an entry: a component registered here reaches every place that reads
the registry (the reference tables, the name lookups, the explorers' menus and
the cases of the generated tests), and leaves them all when it is removed.

The generated tests build their parametrisation from the registry when they are
collected; these tests call the same builders (``gradient_check_entries`` of
tests/test_gradients.py, ``layer_entries`` of tests/test_layer_contract.py,
``cases`` of tests/test_numerics.py) while the components are registered.

The cheat sheet (chapters/cheat-sheet.ipynb) links every row to a section of a
chapter: the last tests check, on its stored outputs, that it lists every
component and that every link names an anchor the target chapter defines.
"""
import re
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pytest
from docutils.nodes import make_id

import nnlib
from nnlib import registry
from nnlib.activations import ElementwiseActivation
from nnlib.layers import Layer
from nnlib.widgets.activations import elementwise_entries

from test_gradients import gradient_check_entries, run_gradient_check
from test_layer_contract import layer_entries
from test_numerics import cases

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"


class Cube(ElementwiseActivation):
    """:math:`f(x) = x^3 / 3`, :math:`f'(x) = x^2`."""

    def function(self, x):
        return x * x * x / 3

    def derivative(self, x, y):
        return x * x


class Tripler(Layer):
    """:math:`y = 3x`, a layer with no weights."""

    def forward(self, x, *, training=False):
        return 3 * x, None

    def backward(self, dy, cache, *, need_dx=True):
        return (3 * dy if need_dx else None), {}

    def compute_output_shape(self, input_shape):
        return input_shape

    @classmethod
    def gradient_check_sample(cls, rng):
        return cls(), (rng.normal(size=(2, 3, 4)),)


NEW = (("activation", Cube, "cube"), ("layer", Tripler, "tripler"))


@contextmanager
def registered(*components):
    """Register ``(kind, cls, alias)`` components, and remove them on the way out,
    whatever happens inside."""
    done = []
    try:
        for kind, cls, alias in components:
            registry.register(kind, aliases=(alias,), description=f"{cls.__name__} for a test",
                              use_case="Testing extension")(cls)
            done.append((kind, cls.__name__))
        yield [registry.entry_for(kind, name) for kind, name in done]
    finally:
        for kind, name in done:
            registry.unregister(kind, name)


@pytest.fixture
def new_entries():
    with registered(*NEW) as entries:
        yield entries
    assert_gone()


def assert_gone():
    for kind, cls, alias in NEW:
        assert cls.__name__ not in [e.name for e in registry.entries(kind)]
        with pytest.raises(ValueError, match="unknown"):
            registry.entry_for(kind, alias)


def test_new_entries_have_their_rows(new_entries):
    for kind, cls, _ in NEW:
        table = nnlib.table(kind)
        row = (cls.__name__, cls.__name__, f"{cls.__name__} for a test", "Testing extension")
        assert row in table.rows
        assert f"<td>{cls.__name__} for a test</td>" in table._repr_html_()
        linked = nnlib.table(kind, link=lambda entry: f"#{entry.name.lower()}")
        assert f"[{cls.__name__}](#{cls.__name__.lower()})" in linked.to_markdown()


def test_new_entries_are_found_by_name(new_entries):
    assert isinstance(nnlib.activations.get("cube"), Cube)
    assert isinstance(nnlib.get("activation", "CUBE"), Cube)
    assert isinstance(nnlib.get("layer", "tripler"), Tripler)
    x = np.array([[-1.0, 2.0]], dtype="float32")
    np.testing.assert_allclose(nnlib.layers.Dense(2, activation="cube").activation(x),
                               x ** 3 / 3)
    assert "cube" in registry.names("activation")


def test_new_entries_join_the_generated_tests_cases(new_entries):
    cube, tripler = new_entries
    assert cube in gradient_check_entries() and tripler in gradient_check_entries()
    assert tripler in layer_entries()
    numerics_ids = [case.id for case in cases("activation")]
    assert any(case_id.startswith("Cube(") for case_id in numerics_ids), numerics_ids[-3:]
    for entry in new_entries:  # and the generated check passes on them
        assert run_gradient_check(entry).passed


def test_new_activation_joins_the_explorer_menu(new_entries):
    assert "Cube" in [entry.name for entry in elementwise_entries()]


def test_nothing_leaks_even_when_a_test_fails():
    with pytest.raises(RuntimeError):
        with registered(*NEW):
            assert "Cube" in [e.name for e in registry.entries("activation")]
            raise RuntimeError("a failing test")
    assert_gone()
    assert "Cube" not in [e.name for e in gradient_check_entries()]
    assert "Tripler" not in [row[1] for row in nnlib.table("layer").rows]


def test_a_clash_registers_nothing_and_removes_what_came_before():
    class Clash(ElementwiseActivation):
        pass

    with pytest.raises(ValueError, match="taken"):
        with registered(("activation", Cube, "cube"), ("activation", Clash, "relu")):
            pass
    assert_gone()
    assert registry.entry_for("activation", "relu").cls is nnlib.activations.ReLU


# -- the cheat sheet -------------------------------------------------------------------

class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])


def cheat_sheet_outputs():
    nb = nbformat.read(CHAPTERS / "cheat-sheet.ipynb", as_version=4)
    return [output["data"]["text/html"] for cell in nb.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "text/html" in output.get("data", {})]


def anchors(page):
    """The ids a built chapter has: its ``(label)=`` targets and the ids Sphinx
    gives its headings (docutils' ``make_id`` of the heading's text)."""
    cells = nbformat.read(CHAPTERS / page.replace(".html", ".ipynb"), as_version=4).cells
    found = set()
    for cell in cells:
        if cell.cell_type != "markdown":
            continue
        found |= set(re.findall(r"^\((\S+)\)=\s*$", cell.source, re.M))
        for heading in re.findall(r"^#{1,6}\s+(.+)$", cell.source, re.M):
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
            found.add(make_id(text))
    return found


def test_cheat_sheet_lists_every_component():
    text = " ".join(cheat_sheet_outputs())
    for kind in registry.KINDS:
        for entry in registry.entries(kind):
            assert f">{entry.name}</a>" in text, f"{kind} {entry.name} is not on the cheat sheet"


def test_every_cheat_sheet_link_names_an_existing_section():
    parser = Links()
    for html in cheat_sheet_outputs():
        parser.feed(html)
    assert len(parser.hrefs) > 100
    known = {}
    for href in sorted(set(parser.hrefs)):
        page, _, anchor = href.partition("#")
        assert anchor and (CHAPTERS / page.replace(".html", ".ipynb")).exists(), href
        if page not in known:
            known[page] = anchors(page)
        assert anchor in known[page], f"{href}: no such section in {page}"
