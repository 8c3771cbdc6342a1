"""Comparisons over seeds: every measure's spread, the same seeds for every candidate."""
import numpy as np
import pytest

import nnlib
from nnlib.experiments import Spread, compare, over_seeds
from nnlib.layers import Dense, Input


def test_a_spread_holds_every_value_and_its_summary():
    spread = Spread((0.9, 0.95, 0.92))
    assert (spread.n, spread.min, spread.max) == (3, 0.9, 0.95)
    assert spread.mean == pytest.approx(0.92333333)
    assert spread.overlaps(Spread((0.94, 0.99))) and not spread.overlaps(Spread((0.96, 0.99)))


def test_every_run_is_seeded_and_repeats_exactly():
    def draw(seed):
        return {"first": float(nnlib.utils.generator().normal()), "seed": seed}
    once, again = over_seeds(draw, seeds=[3, 4]), over_seeds(draw, seeds=[3, 4])
    assert once["first"].values == again["first"].values
    assert once["seed"].values == (3.0, 4.0)
    assert once["first"].values[0] != once["first"].values[1]


def test_compare_trains_candidates_on_the_same_seeds_and_tells_noise_from_difference():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype("float32")[:, None]

    def trained(epochs):
        def run(seed):
            model = nnlib.Sequential([Input((3,)), Dense(1, activation="sigmoid")])
            model.compile(nnlib.optimizers.Adam(0.05), "binary_crossentropy",
                          metrics=["accuracy"])
            model.fit(x, y, epochs=epochs, verbose=0)
            loss, accuracy = model.evaluate(x, y, verbose=0)
            return {"loss": loss, "accuracy": accuracy}
        return run

    table = compare({"untrained": trained(1), "trained": trained(30)}, seeds=range(3))
    assert table.measures == ["loss", "accuracy"]
    assert table.separated("loss", "untrained", "trained")
    assert table["trained"]["loss"].max < table["untrained"]["loss"].min
    text = repr(table)
    assert "untrained" in text and "over seeds [0, 1, 2]" in text
    assert "<table>" in table._repr_html_()


def test_a_number_is_the_measure_value_and_bad_calls_are_named():
    assert over_seeds(lambda seed: seed * 2.0, seeds=[1, 2])["value"].values == (2.0, 4.0)
    with pytest.raises(ValueError, match="at least one seed"):
        over_seeds(lambda seed: 1.0, seeds=[])
    with pytest.raises(ValueError, match="seed 1 gave the measures"):
        over_seeds(lambda seed: {"a": 1.0} if seed == 0 else {"b": 1.0}, seeds=[0, 1])
    with pytest.raises(TypeError, match=r"compare: expected a dict \{label: run\(seed\)\}"):
        compare([lambda seed: 1.0])
