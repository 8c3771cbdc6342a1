"""Every chapter's exercises follow one pattern, so that a learner can trust them.

An exercise is a markdown cell opening with ``**N. Title.**``, then a visible
stub, a visible check that runs on the learner's own code (it calls a
``check_...`` function on the stub's name), and the solution in a collapsed
cell (tag ``hide-cell``) whose source and output are both hidden, in Jupyter
too, under a name of its own, ending with the same check.  A "Why?" question
has its answer in a hidden markdown cell holding a dropdown.  Every chapter
has at least one of each."""
import re
from pathlib import Path

import nbformat
import pytest

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))
EXERCISE = re.compile(r"^\*\*(\d+)\.\s*([^*]*)\*\*", re.M)
SECTION = re.compile(r"^## Exercises", re.M)
CHECK_CALL = re.compile(r"^(check_\w+)\((\w+)", re.M)


def exercises(path):
    """The cells after the ``## Exercises`` heading, grouped by exercise:
    ``[(number, title, [cells])]``."""
    cells = nbformat.read(path, as_version=4).cells
    start = next((i for i, cell in enumerate(cells) if cell.cell_type == "markdown"
                  and SECTION.search(cell.source)), None)
    assert start is not None, f"{path.name}: no '## Exercises' section"
    groups = []
    for cell in cells[start:]:
        heading = EXERCISE.search(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            groups.append((int(heading.group(1)), heading.group(2).strip(), []))
        elif groups:
            groups[-1][2].append(cell)
    return groups


def hidden(cell, *parts):
    return all(cell.metadata.get("jupyter", {}).get(part) for part in parts)


def is_why(title):
    return title.rstrip(".").endswith("Why?")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_every_exercise_checks_the_learner_s_code_and_hides_its_solution(path):
    groups = exercises(path)
    coding = [group for group in groups if not is_why(group[1])]
    assert coding, f"{path.name}: no exercise with a check"
    for number, title, cells in coding:
        where = f"{path.name}, exercise {number}"
        code = [cell for cell in cells if cell.cell_type == "code"]
        visible = [cell for cell in code if "hide-cell" not in cell.metadata.get("tags", [])]
        solutions = [cell for cell in code if cell not in visible]
        assert not any({"hide-input", "hide-output"} & set(cell.metadata.get("tags", []))
                       for cell in code), f"{where}: hide-input shows the answer; use hide-cell"
        assert solutions, f"{where}: no hidden solution"
        for solution in solutions:
            assert hidden(solution, "source_hidden", "outputs_hidden"), \
                f"{where}: the solution's source and output must be hidden in Jupyter too"
        assert not any("solution" in cell.source.lower() for cell in visible), \
            f"{where}: a visible cell holds the solution"
        learner = {call for cell in visible for call in CHECK_CALL.findall(cell.source)}
        assert learner, f"{where}: no visible check_...(...) call on the learner's code"
        checks = {name for name, _ in learner}
        solved = {call for cell in solutions for call in CHECK_CALL.findall(cell.source)}
        assert any(name in checks and argument not in {a for _, a in learner}
                   for name, argument in solved), \
            f"{where}: the solution must run the learner's check on a name of its own"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_every_chapter_asks_why_and_hides_the_answer(path):
    why = [cells for _, title, cells in exercises(path) if is_why(title)]
    assert why, f"{path.name}: no 'Why?' question"
    for cells in why:
        answers = [cell for cell in cells if cell.cell_type == "markdown"]
        assert answers and all(hidden(cell, "source_hidden") and "{admonition}" in cell.source
                               and ":class: dropdown" in cell.source for cell in answers), \
            f"{path.name}: a 'Why?' answer must be a hidden dropdown"
