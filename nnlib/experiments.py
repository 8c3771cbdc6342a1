"""Comparisons that hold over seeds: run each candidate once per seed and report
the spread of every measure, so that a difference is read against the noise.

A candidate is a function of the seed that returns its measures as a dict
(or one number, the measure ``"value"``); ``compare`` seeds nnlib's
generator before every call (``nnlib.utils.set_random_seed``), so the runs
repeat exactly.

>>> def coin(seed):
...     return {"heads": float(generator().integers(0, 2, 100).mean())}
>>> table = compare({"fair coin": coin}, seeds=range(3))
>>> table["fair coin"]["heads"].n
3
"""
import html
import statistics
from dataclasses import dataclass

from .utils import generator, set_random_seed

DEFAULT_SEEDS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Spread:
    """One measure over seeds: every value, their mean, minimum and maximum.

    >>> Spread((0.9, 0.95, 0.92))
    0.9233 (0.9 to 0.95, 3 seeds)
    """

    values: tuple

    @property
    def n(self):
        return len(self.values)

    @property
    def mean(self):
        return statistics.fmean(self.values)

    @property
    def min(self):
        return min(self.values)

    @property
    def max(self):
        return max(self.values)

    def overlaps(self, other):
        """Whether the two ranges ``[min, max]`` overlap: then these seeds do not
        separate the two candidates on this measure."""
        return self.min <= other.max and other.min <= self.max

    def __repr__(self):
        return f"{self.mean:.4g} ({self.min:.4g} to {self.max:.4g}, {self.n} seeds)"


class Comparison(dict):
    """``{candidate: {measure: Spread}}``, shown as a table: one row per
    candidate, a column per measure with its mean and range over the seeds."""

    def __init__(self, results, seeds):
        super().__init__(results)
        self.seeds = tuple(seeds)

    @property
    def measures(self):
        names = []
        for measures in self.values():
            names += [m for m in measures if m not in names]
        return names

    def separated(self, measure, a, b):
        """Whether candidates ``a`` and ``b`` differ on ``measure`` beyond the
        spread of the seeds (their ranges do not overlap)."""
        return not self[a][measure].overlaps(self[b][measure])

    def rows(self):
        """``[candidate, "mean (min to max)"...]`` per candidate, for printing."""
        return [[name, *(f"{spread[m].mean:.4g} ({spread[m].min:.4g} to {spread[m].max:.4g})"
                         if m in spread else "" for m in self.measures)]
                for name, spread in self.items()]

    def __repr__(self):
        header = ["", *self.measures]
        rows = [header, *self.rows()]
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
        lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip()
                 for row in rows]
        return "\n".join(lines + [f"mean (min to max) over seeds {list(self.seeds)}"])

    def _repr_html_(self):
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["", *self.measures])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                       for row in self.rows())
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"<p>mean (min to max) over seeds {list(self.seeds)}</p>")


def over_seeds(run, seeds=DEFAULT_SEEDS):
    """``{measure: Spread}`` of ``run(seed)`` over ``seeds``, nnlib's generator
    seeded before each call."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("over_seeds: give at least one seed")
    collected = {}
    for seed in seeds:
        set_random_seed(seed)
        measures = run(seed)
        if not isinstance(measures, dict):
            measures = {"value": measures}
        if collected and set(measures) != set(collected):
            raise ValueError(f"over_seeds: seed {seed} gave the measures {sorted(measures)}, "
                             f"the others {sorted(collected)}")
        for name, value in measures.items():
            collected.setdefault(name, []).append(float(value))
    return {name: Spread(tuple(values)) for name, values in collected.items()}


def compare(candidates, seeds=DEFAULT_SEEDS):
    """Run every candidate (``{label: run(seed) -> measures}``) over the same
    seeds; returns a ``Comparison``."""
    if not isinstance(candidates, dict) or not candidates:
        raise TypeError(f"compare: expected a dict {{label: run(seed)}}, got {candidates!r}")
    seeds = list(seeds)
    return Comparison({label: over_seeds(run, seeds) for label, run in candidates.items()},
                      seeds)
