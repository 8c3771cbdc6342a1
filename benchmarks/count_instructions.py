"""Instructions per training step of the digits MLP, the tape's layers against
``Dense``, counted by valgrind's cachegrind: a count that, unlike a clock,
does not move with the machine's load.

    .venv/bin/python benchmarks/count_instructions.py            # needs valgrind

Each side runs under cachegrind twice, with 0 and with 10 epochs of 10 steps
after the same setup (its bytecode compiled beforehand); the difference over
100 steps is its count per step.
The printed figure is the tape's extra per step over ``Dense``'s.
``--side tape --epochs N`` is what each run executes.
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nnlib  # noqa: E402
from nnlib import ops  # noqa: E402
from nnlib.layers import Dense  # noqa: E402
from ops_dense import OpsDense  # noqa: E402  (beside this script)

STEPS_PER_EPOCH = 10
# One BLAS thread, one hash seed, and bytecode caches written (a stale one
# compiled during a counted run would count).
ENVIRONMENT = {"OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "PATH": os.environ["PATH"]}


def train(side, epochs):
    """Build the MLP of ``side`` (``tape`` or ``hand``), then ``epochs`` epochs."""
    rng = np.random.default_rng(0)
    x = rng.random((32 * STEPS_PER_EPOCH, 64), dtype=np.float32)
    y = rng.integers(0, 10, len(x))
    nnlib.utils.set_random_seed(0)
    layers = [OpsDense(128, ops.relu), OpsDense(10, ops.softmax)] if side == "tape" else \
        [Dense(128, activation="relu"), Dense(10, activation="softmax")]
    model = nnlib.Sequential([nnlib.Input((64,)), *layers])
    model.compile(optimizer=nnlib.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    model.fit(x[:64], y[:64], epochs=1, verbose=0)  # the first call's one-off work
    for _ in range(epochs):
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)


def instructions(side, epochs):
    """Instructions of a whole run of this script for ``side`` and ``epochs``."""
    run = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                          "--cachegrind-out-file=/dev/null", sys.executable, __file__,
                          "--side", side, "--epochs", str(epochs)],
                         capture_output=True, text=True, check=True, env=ENVIRONMENT)
    return int(re.search(r"I\s+refs:\s+([\d,]+)", run.stderr).group(1).replace(",", ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=["tape", "hand"])
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    if args.side:
        train(args.side, args.epochs)
        return
    for side in ("tape", "hand"):  # once outside valgrind: Python's bytecode caches written
        subprocess.run([sys.executable, __file__, "--side", side, "--epochs", "0"],
                       check=True, env=ENVIRONMENT)
    steps = args.epochs * STEPS_PER_EPOCH
    per_step = {side: (instructions(side, args.epochs) - instructions(side, 0)) / steps
                for side in ("tape", "hand")}
    for side, count in per_step.items():
        print(f"{side:5s} {count:10,.0f} instructions per step")
    print(f"extra {per_step['tape'] - per_step['hand']:10,.0f} instructions per step "
          f"(ratio {per_step['tape'] / per_step['hand']:.2f})")


if __name__ == "__main__":
    main()
