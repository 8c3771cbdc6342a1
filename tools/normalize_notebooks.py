"""Make executed notebooks reproducible byte for byte.

Executing a notebook gives every widget a random model id and may record cell timings.
This rewrites the ids as ids derived from the notebook's name and the order in which
the widgets are displayed, and drops the timings, so that re-running an unchanged
notebook leaves it unchanged.

    python tools/normalize_notebooks.py chapters/*.ipynb
"""

import json
import re
import sys
import uuid
from pathlib import Path

import nbformat

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]{32})")


def widget_ids_in_order(nb, state):
    """Model ids in display order, each followed by the models it refers to."""
    order = []

    def visit(model_id):
        if model_id in state and model_id not in order:
            order.append(model_id)
            for ref in REFERENCE.findall(json.dumps(state[model_id], sort_keys=True)):
                visit(ref)

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                visit(view["model_id"])
    # Widgets never displayed: order them by content, as their ids are random.
    rest = set(state) - set(order)
    for model_id in sorted(rest, key=lambda m: REFERENCE.sub("", json.dumps(state[m], sort_keys=True))):
        visit(model_id)
    return order


def normalize(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    text = nbformat.writes(nb)
    for i, old in enumerate(widget_ids_in_order(nb, state)):
        text = text.replace(old, uuid.uuid5(uuid.NAMESPACE_URL, f"{path.name}/{i}").hex)
    nbformat.write(nbformat.reads(text, as_version=4), path)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        normalize(Path(name))
