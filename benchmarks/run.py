"""nnlib against PyTorch on the CPU: forward plus backward of single layers, and
training epochs of an MLP, a small CNN and recurrent networks (LSTM, GRU,
SimpleRNN); then nnlib's gradient tape against its hand-written backward
passes.  Not part of the test suite.

    .venv/bin/python benchmarks/run.py                    # measure, print, write RESULTS.md
    .venv/bin/python benchmarks/run.py --repeats 5        # a quick look
    .venv/bin/python benchmarks/run.py --autodiff-only    # only the tape's section

Everything is float32.  Each case runs with 1 thread, then with 2 (NumPy's BLAS
limited through threadpoolctl, PyTorch through ``torch.set_num_threads``).
Within a case the two libraries take turns, call after call, so a change in
the machine's load hits both; the figure kept is each one's median.  The ratio
is nnlib's time over PyTorch's: below 1, nnlib is faster.  For every ratio
above its target the file gets a profile of nnlib's side: where the time goes.

The last section, "Automatic differentiation", times layers written the Keras
way (``build`` and ``call`` with ``nnlib.ops``, differentiated by the tape)
against nnlib's hand-written layers doing the same sums, with 1 thread, in
the same alternated way; the ratio is the tape's time over the hand-written
one's.
"""
import argparse
import cProfile
import io
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nnlib  # noqa: E402
from nnlib import ops  # noqa: E402
from nnlib.layers import GRU, LSTM, Dense, SimpleRNN  # noqa: E402
from nnlib.layers.conv import Conv2D  # noqa: E402
from nnlib.layers.pooling import MaxPooling2D  # noqa: E402
from nnlib.layers.reshaping import Flatten  # noqa: E402
from ops_dense import OpsDense  # noqa: E402  (beside this script)

RESULTS = Path(__file__).with_name("RESULTS.md")


def nchw(x):
    """A channels-last array as the channels-first tensor PyTorch's kernels want."""
    return torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def layer_pair(layer, x, need_dx, torch_forward, torch_weights):
    """Two callables running forward then backward, nnlib's and PyTorch's, on the
    same data and weights, with the upstream gradient drawn beforehand."""
    layer(x[:1])
    y, _ = layer.forward(layer.prepare(x))
    dy = np.random.default_rng(1).normal(size=y.shape).astype("float32")

    def run_nnlib():
        _, cache = layer.forward(x)
        layer.backward(dy, cache, need_dx=need_dx)

    x_t = (nchw(x) if x.ndim == 4 else torch.tensor(x)).requires_grad_(need_dx)
    weights = [w.requires_grad_(True) for w in torch_weights(layer)]
    dy_t = nchw(dy) if dy.ndim == 4 else torch.tensor(dy)

    def run_torch():
        torch_forward(x_t, *weights).backward(dy_t)

    return run_nnlib, run_torch


def dense_case():
    x = np.random.default_rng(0).normal(size=(128, 784)).astype("float32")
    return layer_pair(Dense(256), x, True, F.linear,
                      lambda layer: [torch.tensor(layer.kernel.value.T.copy()),
                                     torch.tensor(layer.bias.value)])


def conv_weights(layer):
    return [torch.tensor(layer.kernel.value.transpose(3, 2, 0, 1).copy()),
            torch.tensor(layer.bias.value)]


def conv_case(shape, filters, need_dx):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    return layer_pair(Conv2D(filters, 3, padding="same"), x, need_dx,
                      lambda x_t, W, b: F.conv2d(x_t, W, b, padding=1), conv_weights)


def pooling_case():
    x = np.random.default_rng(0).normal(size=(64, 28, 28, 32)).astype("float32")
    return layer_pair(MaxPooling2D(2), x, True, lambda x_t: F.max_pool2d(x_t, 2),
                      lambda layer: [])


def torch_epoch(net, x_t, y_t, lr=0.01, batch_size=32):
    """One shuffled epoch of SGD in PyTorch, softmax and cross-entropy in one loss
    (nnlib's loss is on the softmax's probabilities)."""
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)

    def run():
        order = torch.randperm(len(x_t))
        for start in range(0, len(x_t), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            F.cross_entropy(net(x_t[batch]), y_t[batch]).backward()
            optimizer.step()
    return run


def mlp_epoch_case():
    """One epoch of SGD on the 1,797 digits with a 64→128 ReLU→10 softmax MLP,
    batches of 32, shuffled, no metrics, in both libraries."""
    x, y, model = digits_mlp()

    def run_nnlib():
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 10))
    return run_nnlib, torch_epoch(net, torch.tensor(x), torch.tensor(y))


def epoch_case():
    """One epoch of SGD on the 1,797 digits, batches of 32, shuffled, in both libraries."""
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    nnlib.utils.set_random_seed(0)
    model = nnlib.Sequential([nnlib.Input((8, 8, 1)),
                              Conv2D(16, 3, padding="same", activation="relu"),
                              MaxPooling2D(2), Flatten(), Dense(10, activation="softmax")])
    model.compile(optimizer=nnlib.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")

    def run_nnlib():
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(16 * 4 * 4, 10))
    return run_nnlib, torch_epoch(net, nchw(x), torch.tensor(y))


def sine_sequences(count=320, steps=50, features=32):
    """``count`` sequences of ``features`` noisy sines (random frequencies and
    phases) over ``steps`` steps, and as target the mean of the next step's
    values: float32 arrays ``(count, steps, features)`` and ``(count, 1)``."""
    rng = np.random.default_rng(0)
    frequency = rng.uniform(0.05, 0.5, size=(count, 1, features))
    phase = rng.uniform(0, 2 * np.pi, size=(count, 1, features))
    t = np.arange(steps + 1)[None, :, None]
    waves = np.sin(frequency * t + phase) + 0.1 * rng.normal(size=(count, steps + 1, features))
    return waves[:, :-1].astype("float32"), waves[:, -1].mean(axis=1, keepdims=True).astype(
        "float32")


RECURRENT = {"LSTM": (LSTM, torch.nn.LSTM), "GRU": (GRU, torch.nn.GRU),
             "SimpleRNN": (SimpleRNN, torch.nn.RNN)}


def recurrent_epoch_case(kind, units=64):
    """One epoch of SGD on 320 sine sequences (50 steps, 32 inputs): a recurrent
    layer of 64 units, its last output into Dense(1), mean squared error,
    batches of 32, shuffled, in both libraries (PyTorch: ``nn.LSTM``,
    ``nn.GRU`` or ``nn.RNN`` with ``batch_first`` and its last step into
    ``nn.Linear``)."""
    x, y = sine_sequences()
    ours, theirs = RECURRENT[kind]
    nnlib.utils.set_random_seed(0)
    model = nnlib.Sequential([nnlib.Input(x.shape[1:]), ours(units), Dense(1)])
    model.compile(optimizer=nnlib.optimizers.SGD(0.01), loss="mse")

    def run_nnlib():
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)

    torch.manual_seed(0)
    rnn, head = theirs(x.shape[-1], units, batch_first=True), torch.nn.Linear(units, 1)
    optimizer = torch.optim.SGD([*rnn.parameters(), *head.parameters()], lr=0.01)
    x_t, y_t = torch.tensor(x), torch.tensor(y)

    def run_torch():
        order = torch.randperm(len(x_t))
        for start in range(0, len(x_t), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            outputs, _ = rnn(x_t[batch])
            F.mse_loss(head(outputs[:, -1]), y_t[batch]).backward()
            optimizer.step()

    return run_nnlib, run_torch


def digits_mlp():
    """The digits (float32 pixels in [0, 1], labels) and the MLP of the epoch case, compiled."""
    digits = load_digits()
    x, y = (digits.data / 16.0).astype("float32"), digits.target
    nnlib.utils.set_random_seed(0)
    model = nnlib.Sequential([nnlib.Input((64,)), Dense(128, activation="relu"),
                              Dense(10, activation="softmax")])
    model.compile(optimizer=nnlib.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    return x, y, model


def step_breakdown(x, y, model, epochs=20):
    """Microseconds per training step of a compiled model on ``x, y`` (the MLP
    case: ``step_breakdown(*digits_mlp())``), part by part: the five parts of
    ``Trainer.train_step`` as ``fit`` runs them, with the batch taken and the
    logs updated."""
    xs, ys, _ = model.standardize(x, y)
    parts = dict.fromkeys(["take the batch", "forward (execute)", "loss forward",
                           "loss backward", "backward (execute_backward)",
                           "optimizer step and state updates", "logs"], 0.0)
    clock, steps, rng = time.perf_counter, 0, np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 32):
            index = order[start:start + 32]
            t0 = clock()
            bx, by, bw = [xs[0][index]], [ys[0][index]], [None]
            t1 = clock()
            y_pred, tape = model.execute(bx, training=True)
            t2 = clock()
            loss, cache = model.compiled_loss.forward(by, y_pred, bw, tape.output_masks)
            loss = loss + sum(tape.losses)
            t3 = clock()
            d_pred = model.compiled_loss.backward(1.0, cache)
            t4 = clock()
            learning = model.named_weights(trainable_only=True)
            _, grads = model.execute_backward(d_pred, tape, need_dx=False, learning=learning)
            t5 = clock()
            model.optimizer.apply(grads, learning)
            tape.apply_updates()
            t6 = clock()
            model.update_logs(loss, cache, by, y_pred, tape.output_masks, bw)
            model.logs()
            t7 = clock()
            for key, (a, b) in zip(parts, [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5),
                                           (t5, t6), (t6, t7)]):
                parts[key] += b - a
            steps += 1
    return {key: seconds / steps * 1e6 for key, seconds in parts.items()}


def alternated_breakdowns(x, y, models, epochs=20):
    """``step_breakdown`` of each of ``models`` (``{side: model}``), one epoch
    each in turn, so that a change in the machine's load hits all; for each
    side, the median over the epochs of each part."""
    epochs_parts = {side: [] for side in models}
    for _ in range(epochs):
        for side, model in models.items():
            epochs_parts[side].append(step_breakdown(x, y, model, epochs=1))
    return {side: {part: statistics.median(parts[part] for parts in runs)
                   for part in runs[0]} for side, runs in epochs_parts.items()}


def numpy_floor(repeats=20):
    """Milliseconds of one epoch of the same MLP written as bare NumPy, with
    softmax and cross-entropy fused (the gradient at the logits is
    :math:`(p - y)/n`) and no checks: what the arithmetic and NumPy's calls
    cost without a library around them."""
    x, y, _ = digits_mlp()
    rng = np.random.default_rng(0)
    w1, b1 = rng.normal(0, 0.1, (64, 128)).astype("float32"), np.zeros(128, "float32")
    w2, b2 = rng.normal(0, 0.1, (128, 10)).astype("float32"), np.zeros(10, "float32")
    one_hot = np.eye(10, dtype="float32")[y]

    def epoch():
        nonlocal w1, b1, w2, b2
        order = rng.permutation(len(x))
        for start in range(0, len(x), 32):
            index = order[start:start + 32]
            xb, yb = x[index], one_hot[index]
            z1 = xb @ w1 + b1
            h = np.maximum(z1, 0)
            z2 = h @ w2 + b2
            e = np.exp(z2 - z2.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            _ = -(yb * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(axis=1).mean()
            dz2 = (p - yb) / len(xb)
            dz1 = (dz2 @ w2.T) * (z1 > 0)
            w2, b2 = w2 - 0.01 * (h.T @ dz2), b2 - 0.01 * dz2.sum(axis=0)
            w1, b1 = w1 - 0.01 * (xb.T @ dz1), b1 - 0.01 * dz1.sum(axis=0)

    for _ in range(3):
        epoch()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def forward_backward(layer, x, dy):
    """A callable running ``layer``'s forward then backward pass (with the input
    gradient) on ``x`` and ``dy``, as a model's executor runs them."""
    def run():
        _, cache, _ = layer.run_forward(x)
        layer.run_backward(dy, cache, need_dx=True)
    return run


def tape_dense_case():
    """``OpsDense(256, relu)`` and ``Dense(256, relu)`` on 128×784, the same weights."""
    x = np.random.default_rng(0).normal(size=(128, 784)).astype("float32")
    dy = np.random.default_rng(1).normal(size=(128, 256)).astype("float32")
    taped, hand_written = OpsDense(256, ops.relu), Dense(256, activation="relu")
    for layer in (taped, hand_written):
        layer(x[:1])  # builds it
    taped.set_weights(hand_written.get_weights())
    return forward_backward(taped, x, dy), forward_backward(hand_written, x, dy)


def ops_mlp(hand_written):
    """``digits_mlp``'s model with ``OpsDense`` layers, ``OpsDense(128, relu)→
    OpsDense(10, softmax)``, compiled the same way, with ``hand_written``'s weights."""
    taped = nnlib.Sequential([nnlib.Input((64,)), OpsDense(128, ops.relu),
                              OpsDense(10, ops.softmax)])
    taped.compile(optimizer=nnlib.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    taped.set_weights(hand_written.get_weights())
    return taped


def tape_mlp_epoch_case():
    """The digits MLP's epoch with ``OpsDense`` layers against the same model of
    ``Dense`` layers (``digits_mlp``), same weights."""
    x, y, hand_written = digits_mlp()
    taped = ops_mlp(hand_written)

    def epoch(model):
        return lambda: model.fit(x, y, epochs=1, batch_size=32, verbose=0)

    return epoch(taped), epoch(hand_written)


# (name, target ratio, build, repeats scale): the tape against hand-written backward passes.
TAPE_CASES = [
    ("Dense 128×784→256 with ReLU, forward and backward: OpsDense(256, relu) against "
     "Dense(256, relu)", 1.5, tape_dense_case, 4),
    ("Training epoch on digits: OpsDense(128, relu)→OpsDense(10, softmax) against "
     "Dense(128, relu)→Dense(10, softmax), batch 32, SGD", 1.5, tape_mlp_epoch_case, 0.3),
]
TAPE_HEADING = "## Automatic differentiation: the tape against hand-written backward passes"


# (name, target ratio, build, repeats scale): the cases of the book's performance goals.
CASES = [
    ("Dense 128×784→256", 1.2, dense_case, 4),
    ("Conv2D 64×28×28×1→32, 3×3 same (first layer: no input gradient)", 1.2,
     lambda: conv_case((64, 28, 28, 1), 32, need_dx=False), 2),
    ("Conv2D 64×14×14×32→64, 3×3 same", 1.6,
     lambda: conv_case((64, 14, 14, 32), 64, need_dx=True), 1),
    ("MaxPooling2D 2×2 on 64×28×28×32 (PyTorch NCHW)", 1.0, pooling_case, 2),
    ("Training epoch on digits: Dense(128, relu)→Dense(10), batch 32, SGD, no metrics",
     0.5, mlp_epoch_case, 0.3),
    ("Training epoch on digits: Conv2D(16)→MaxPooling2D→Flatten→Dense(10), batch 32, SGD",
     0.7, epoch_case, 0.2),
    ("Training epoch on 320 sine sequences: LSTM(64)→Dense(1), 50 steps × 32 inputs, "
     "batch 32, SGD", 1.5, lambda: recurrent_epoch_case("LSTM"), 0.2),
    ("Training epoch on 320 sine sequences: GRU(64)→Dense(1), 50 steps × 32 inputs, "
     "batch 32, SGD", 1.5, lambda: recurrent_epoch_case("GRU"), 0.2),
    ("Training epoch on 320 sine sequences: SimpleRNN(64)→Dense(1), 50 steps × 32 inputs, "
     "batch 32, SGD", 1.5, lambda: recurrent_epoch_case("SimpleRNN"), 0.2),
]


def alternate(run_a, run_b, repeats, warmup=3):
    """Medians of ``repeats`` timed calls of each, in turns (a b, b a, a b...)."""
    for _ in range(warmup):
        run_a()
        run_b()
    times = ([], [])
    for i in range(repeats):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            start = time.perf_counter()
            (run_a, run_b)[which]()
            times[which].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times], [spread(t) for t in times]


def spread(times):
    """The interquartile range relative to the median: how much the runs swung."""
    q1, _, q3 = statistics.quantiles(times, n=4)
    return (q3 - q1) / statistics.median(times)


ROOT = str(Path(__file__).resolve().parents[1]) + "/"


def profile(run, calls=10, lines=14):
    """cProfile's view of ``calls`` runs: the time of each nnlib module, then
    the functions that take the most time themselves."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        run()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    shares = module_shares(stats.stats)
    total = sum(shares.values())
    summary = [f"{module:32} {seconds / calls * 1e3:8.2f} ms per call  {seconds / total:6.1%}"
               for module, seconds in sorted(shares.items(), key=lambda kv: -kv[1])]
    stats.sort_stats("tottime").print_stats(lines)
    text = out.getvalue()
    body = text[text.index("ncalls"):].replace(ROOT, "").replace(sys.prefix + "/", "")
    return (f"time per nnlib module over {calls} calls (NumPy's time counted in the "
            f"module that called it):\n" + "\n".join(summary) +
            "\n\nfunctions by own time:\n" +
            "\n".join(line.rstrip() for line in body.splitlines()))


def module_shares(raw):
    """Own time per nnlib module, with the time of NumPy and built-in functions
    handed up to the nnlib functions that called them (in proportion)."""
    def module(func):
        filename = func[0]
        return filename[len(ROOT):] if filename.startswith(ROOT + "nnlib/") else None

    shares = {}

    def charge(func, seconds, depth=0):
        name = module(func)
        callers = raw[func][4] if func in raw else {}
        if name is not None or depth > 8 or not callers:
            key = name or "outside nnlib"
            shares[key] = shares.get(key, 0.0) + seconds
            return
        through = sum(c[3] for c in callers.values()) or 1.0
        for caller, (_, _, _, cumulative) in callers.items():
            charge(caller, seconds * cumulative / through, depth + 1)

    for func, (_, _, own, _, _) in raw.items():
        charge(func, own)
    return shares


def environment():
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    loaded = [f"{Path(i['filepath']).name} ({i['num_threads']} threads)"
              for i in threadpool_info() if i["user_api"] == "blas"]
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return [f"CPU: {cpu}, {torch.get_num_threads()} threads by default",
            f"Python {platform.python_version()}, NumPy {np.__version__} with BLAS "
            f"{blas['name']} {blas['version']}; BLAS libraries loaded (all limited "
            f"together): {', '.join(loaded)}",
            f"PyTorch {torch.__version__} (CPU; MKL-DNN "
            f"{'available' if torch.backends.mkldnn.is_available() else 'absent'})"]


def measure(case, threads, repeats, sides=("nnlib", "PyTorch")):
    """Time one case, print it, and profile its first side if the ratio misses
    the target: ``(row, profile or None)``, the row being ``(name, target,
    threads, first median, second median, ratio, first swing, second swing)``."""
    name, target, build, scale = case
    run_first, run_second = build()
    repeats = max(5, round(repeats * scale))
    (t_first, t_second), (s_first, s_second) = alternate(run_first, run_second, repeats)
    ratio = t_first / t_second
    print(f"  {name}: {sides[0]} {t_first * 1e3:.2f} ms, {sides[1]} {t_second * 1e3:.2f} ms, "
          f"ratio {ratio:.2f} (target {target}), {repeats} runs each")
    missed = (name, threads, ratio, target, profile(run_first)) if ratio > target else None
    return (name, target, threads, t_first, t_second, ratio, s_first, s_second), missed


def measure_all(cases, threads, repeats, sides=("nnlib", "PyTorch")):
    """``measure`` each case with ``threads`` threads: the rows and the profiles."""
    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads, user_api="blas"):
        print(f"\n{threads} thread(s): NumPy BLAS "
              f"{[i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']}, "
              f"torch {torch.get_num_threads()}")
        results = [measure(case, threads, repeats, sides) for case in cases]
    return [row for row, _ in results], [missed for _, missed in results if missed]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60,
                        help="timed calls per library and case (scaled per case)")
    parser.add_argument("--autodiff-only", action="store_true",
                        help="measure only the tape against hand-written backward passes, "
                             "and rewrite only that section of RESULTS.md")
    args = parser.parse_args()
    env = environment()
    print("\n".join(env))
    if args.autodiff_only:
        text = RESULTS.read_text()
        text = text[:text.index(TAPE_HEADING)] if TAPE_HEADING in text else text + "\n"
    else:
        rows, profiles = [], []
        for threads in (1, 2):
            more_rows, more_profiles = measure_all(CASES, threads, args.repeats)
            rows, profiles = rows + more_rows, profiles + more_profiles
        with threadpool_limits(limits=1, user_api="blas"):
            breakdown, floor = step_breakdown(*digits_mlp()), numpy_floor()
        print(f"\nMLP step, 1 thread: {sum(breakdown.values()):.1f} us; bare NumPy epoch "
              f"{floor:.2f} ms")
        text = report(env, rows, profiles, breakdown, floor) + "\n"
    print("\nAutomatic differentiation, the tape against hand-written backward passes:")
    tape_rows, tape_profiles = measure_all(TAPE_CASES, 1, args.repeats,
                                           sides=("tape", "hand-written"))
    with threadpool_limits(limits=1, user_api="blas"):
        x, y, hand_written = digits_mlp()
        parts = alternated_breakdowns(x, y, {"tape": ops_mlp(hand_written),
                                             "hand-written": hand_written})
    RESULTS.write_text(text + tape_report(tape_rows, tape_profiles, parts))
    print(f"\nwritten {RESULTS}")


def report(env, rows, profiles, breakdown, floor):
    lines = ["# Benchmarks: nnlib against PyTorch (CPU, float32)", "",
             "Written by `benchmarks/run.py`. Each figure is the median of alternated runs",
             "(nnlib, PyTorch, PyTorch, nnlib, ...) of one forward and one backward pass",
             "(one epoch for the training case), the upstream gradient drawn beforehand.",
             "Ratio = nnlib time / PyTorch time: below 1 nnlib is faster. 'Swing' is the",
             "interquartile range of the runs over their median.", "", *[f"- {e}" for e in env],
             "", "The machine is shared: other jobs run on its two cores while this runs, so",
             "the 2-thread figures swing with their load (a second thread only helps when",
             "the other core is free, and a thread that waits for a busy core stalls the",
             "other). The 1-thread figures are the steadier comparison. PyTorch's own time",
             "for a case can also change between runs of this script by a factor of two or",
             "more (its convolution with one input channel took 1 ms or 9 ms on two threads",
             "depending on what ran before it in the process), so read single ratios near a",
             "target with care.", "",
             "| case | target | threads | nnlib (ms) | PyTorch (ms) | ratio | met | swing nnlib / PyTorch |",
             "|---|---|---|---|---|---|---|---|"]
    for name, target, threads, t_n, t_t, ratio, s_n, s_t in rows:
        lines.append(f"| {name} | ≤ {target} | {threads} | {t_n * 1e3:.2f} | {t_t * 1e3:.2f} "
                     f"| {ratio:.2f} | {'yes' if ratio <= target else 'no'} "
                     f"| {s_n:.0%} / {s_t:.0%} |")
    mlp_torch = next(t_t for name, _, threads, _, t_t, *_ in rows
                     if threads == 1 and name.startswith("Training epoch on digits: Dense"))
    lines += ["", "## One step of the MLP epoch, part by part (1 thread)", "",
              "Microseconds per training step (57 steps an epoch), timed around each part",
              "of `Trainer.train_step` as `fit` runs it:", "",
              "| part | µs per step |", "|---|---|",
              *[f"| {part} | {us:.1f} |" for part, us in breakdown.items()],
              f"| all | {sum(breakdown.values()):.1f} |", "",
              f"The same epoch written as bare NumPy (`numpy_floor`: the same matrix "
              f"products, softmax and cross-entropy fused, no checks) takes {floor:.2f} ms, "
              f"{floor / (mlp_torch * 1e3):.2f} of PyTorch's epoch: the floor below which "
              f"only fewer NumPy calls go."]
    if profiles:
        lines += ["", "## Where nnlib's time goes in the missed cases", "",
                  "cProfile of nnlib's side: first the time of each nnlib module, the time",
                  "spent in NumPy and built-in functions handed up to the nnlib functions",
                  "that called them; then the functions with the most time of their own",
                  "(`tottime`). Profiling slows Python code down, so these times are higher",
                  "than the table's.", ""]
        for name, threads, ratio, target, text in profiles:
            lines += [f"### {name}, {threads} thread(s): ratio {ratio:.2f} > {target}", "",
                      "```", text, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def tape_report(rows, profiles, parts):
    """The section of RESULTS.md on the tape, from its rows, profiles and the
    MLP step's parts for each side; it stays the file's last section, so that
    ``--autodiff-only`` can replace it."""
    lines = [TAPE_HEADING, "",
             "The same sums written twice in nnlib: layers written the Keras way",
             "(`OpsDense` in `run.py`: weights made in `build`, `activation(x W + b)` in",
             "`call` with `nnlib.ops`, differentiated by the gradient tape) against",
             "nnlib's `Dense`, whose backward pass is written by hand; the same weights",
             "and data. The Dense case runs `run_forward` then `run_backward` with the",
             "input gradient, as a model's executor does; the epoch case is `fit` for one",
             "epoch. Measured with 1 thread (NumPy's BLAS limited by `threadpoolctl`),",
             "the two sides alternated as above, medians kept (`--autodiff-only` runs",
             "this section alone). Ratio = the tape's time / the hand-written one's.", "",
             "| case | target | threads | tape (ms) | hand-written (ms) | ratio | met "
             "| swing tape / hand-written |",
             "|---|---|---|---|---|---|---|---|"]
    for name, target, threads, t_tape, t_hand, ratio, s_tape, s_hand in rows:
        lines.append(f"| {name} | ≤ {target} | {threads} | {t_tape * 1e3:.2f} "
                     f"| {t_hand * 1e3:.2f} | {ratio:.2f} | {'yes' if ratio <= target else 'no'} "
                     f"| {s_tape:.0%} / {s_hand:.0%} |")
    tape, hand = parts["tape"], parts["hand-written"]
    lines += ["", "One step of the MLP epoch, part by part, as above (µs per step, 1 thread;",
              "the two models' epochs alternated, the median of 20 epochs for each part):",
              "", "| part | tape | hand-written | difference |", "|---|---|---|---|",
              *[f"| {part} | {tape[part]:.1f} | {hand[part]:.1f} "
                f"| {tape[part] - hand[part]:+.1f} |" for part in tape],
              f"| all | {sum(tape.values()):.1f} | {sum(hand.values()):.1f} "
              f"| {sum(tape.values()) - sum(hand.values()):+.1f} |"]
    for name, threads, ratio, target, text in profiles:
        lines += ["", f"### Where the tape's time goes: {name}, ratio {ratio:.2f} > {target}",
                  "", "cProfile of the tape's side: the time of each nnlib module (NumPy's and",
                  "built-in functions' time handed up to the nnlib function that called them),",
                  "then the functions with the most time of their own; profiling slows Python",
                  "code down, so these times are higher than the table's.", "",
                  "```", text, "```"]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    main()
