"""Train the recurrent chapter's character-level model and store it beside the chapter.

    OMP_NUM_THREADS=1 .venv/bin/python tools/train_char_model.py [--units 128] [--epochs 40]

The model (``nnlib.widgets.char_model.char_model``) learns to predict the next
character of Python's help text (``pydoc_data.topics``), on the first 90% of
it; the held-out rest is only measured.  Training takes about five minutes on
one core, too long for a notebook, so the chapter loads the weights this
script stores in ``chapters/models/char_lstm.nnlib`` (and the alphabet and
training history in ``char_lstm.json``).  The run is seeded.
"""
import argparse
import time

import nnlib
from nnlib.widgets.char_model import Alphabet, CharModel, char_model, next_character_windows, \
    split_text


def train(units, epochs, steps, batch_size, learning_rate, seed):
    train_text, held_out_text = split_text()
    alphabet = Alphabet.of(train_text + held_out_text)
    x, y = next_character_windows(alphabet.encode(train_text), steps)
    x_val, y_val = next_character_windows(alphabet.encode(held_out_text), steps)
    nnlib.utils.set_random_seed(seed)
    model = char_model(len(alphabet), units)
    model.compile(optimizer=nnlib.optimizers.Adam(learning_rate, clipnorm=1.0),
                  loss=nnlib.losses.SparseCategoricalCrossentropy(from_logits=True))
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs,
                        validation_data=(x_val, y_val), verbose=2)
    print(f"trained in {time.perf_counter() - start:.0f} s")
    record = {key: [round(float(v), 5) for v in values]
              for key, values in history.history.items()}
    record.update(units=units, steps=steps, batch_size=batch_size,
                  learning_rate=learning_rate, seed=seed,
                  train_characters=len(train_text), held_out_characters=len(held_out_text))
    return CharModel(without_optimizer(model), alphabet, record)


def without_optimizer(model):
    """The same model uncompiled: its file keeps the weights, not Adam's two
    slots per weight (a third of the size)."""
    bare = nnlib.Sequential.from_config(model.get_config())
    bare.set_weights(model.get_weights())
    return bare


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=0.003)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="chapters/models/char_lstm")
    args = parser.parse_args()
    trained = train(args.units, args.epochs, args.steps, args.batch_size, args.learning_rate,
                    args.seed)
    trained.save(args.out)
    print(trained.sample("The ", 300, temperature=0.5))


if __name__ == "__main__":
    main()
