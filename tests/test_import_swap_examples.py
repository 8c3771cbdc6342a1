"""Keras code run with ``import nnlib as keras``: Keras 3's guides "Writing your own
callbacks", "Training & evaluation with the built-in methods" and "Serialization and
saving", and its examples "Imbalanced classification: credit card fraud detection",
"Simple MNIST convnet" and "Timeseries classification from scratch", each written once as
a function of the module (``snippet(keras, folder)``), run with nnlib and with Keras 3, and
what they report (hook sequences, log keys, shapes, names, parameter counts, files written)
compared. Accuracies are compared only as "learned something" thresholds, since the two
libraries draw different random numbers.

The adaptations: scikit-learn's data sets where the examples download theirs (the 8x8
digits for MNIST, the breast cancer data for the fraud data, slow against fast noisy waves
for FordA); smaller layers, batches and fewer epochs; files in pytest's temporary folder;
``from_logits=True`` where a guide gives scores to a loss that expects probabilities.

Last, the files of "Serialization and saving" cross between the libraries: a ``.keras`` or
``.weights.h5`` file one writes, the other reads and predicts the same from."""
import contextlib
import csv
import io
import os
import re

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

import nnlib

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def keras():
    import keras
    return keras


def both(snippet, keras, tmp_path):
    """What ``snippet`` gives with nnlib, checked equal to what it gives with Keras; each
    library writes its files in a folder of its own."""
    folders = {name: tmp_path / name for name in ("nnlib", "keras")}
    for folder in folders.values():
        folder.mkdir()
    mine = snippet(nnlib, folders["nnlib"])
    assert mine == snippet(keras, folders["keras"])
    return mine


def shape(tensor):
    return tuple(tensor.shape)


def files(folder):
    return sorted(path.name for path in folder.iterdir())


def flat_digits():
    """The digits as the guides prepare MNIST: flat float32 images scaled to [0, 1]."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16).astype("float32")
    return (x[:1400], y[:1400]), (x[1400:], y[1400:])


# -- "Writing your own callbacks" ----------------------------------------------------------

def get_model(keras):
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
                  loss="mean_squared_error", metrics=["mean_absolute_error"])
    return model


def callback_data():
    (x_train, y_train), (x_test, y_test) = flat_digits()
    return (x_train[:256], y_train[:256].astype("float32")), \
        (x_test[:160], y_test[:160].astype("float32"))


def custom_callback_class(keras, seen):
    """The guide's CustomCallback, which prints each hook with its log keys; here each
    hook also appends ``(hook, batch or epoch, sorted keys)`` to ``seen``."""

    class CustomCallback(keras.callbacks.Callback):
        def record(self, hook, step, logs):
            seen.append((hook, step, sorted(logs or {})))

        def on_train_begin(self, logs=None):
            self.record("on_train_begin", None, logs)

        def on_train_end(self, logs=None):
            self.record("on_train_end", None, logs)

        def on_epoch_begin(self, epoch, logs=None):
            self.record("on_epoch_begin", epoch, logs)

        def on_epoch_end(self, epoch, logs=None):
            self.record("on_epoch_end", epoch, logs)

        def on_test_begin(self, logs=None):
            self.record("on_test_begin", None, logs)

        def on_test_end(self, logs=None):
            self.record("on_test_end", None, logs)

        def on_predict_begin(self, logs=None):
            self.record("on_predict_begin", None, logs)

        def on_predict_end(self, logs=None):
            self.record("on_predict_end", None, logs)

        def on_train_batch_begin(self, batch, logs=None):
            self.record("on_train_batch_begin", batch, logs)

        def on_train_batch_end(self, batch, logs=None):
            self.record("on_train_batch_end", batch, logs)

        def on_test_batch_begin(self, batch, logs=None):
            self.record("on_test_batch_begin", batch, logs)

        def on_test_batch_end(self, batch, logs=None):
            self.record("on_test_batch_end", batch, logs)

        def on_predict_batch_begin(self, batch, logs=None):
            self.record("on_predict_batch_begin", batch, logs)

        def on_predict_batch_end(self, batch, logs=None):
            self.record("on_predict_batch_end", batch, logs)

    return CustomCallback


def every_hook_in_order(keras, folder):
    (x_train, y_train), (x_test, y_test) = callback_data()
    model = get_model(keras)
    facts = {}
    for label, run in [
            ("fit", lambda callback: model.fit(
                x_train, y_train, batch_size=128, epochs=1, verbose=0,
                validation_data=(x_test, y_test), callbacks=[callback])),
            ("fit with validation_split", lambda callback: model.fit(
                x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5,
                callbacks=[callback])),
            ("evaluate", lambda callback: model.evaluate(
                x_test, y_test, batch_size=128, verbose=0, callbacks=[callback])),
            ("predict", lambda callback: model.predict(
                x_test, batch_size=128, verbose=0, callbacks=[callback]))]:
        seen = []
        run(custom_callback_class(keras, seen)())
        facts[label] = seen
    return facts


def loss_and_error_printing(keras, folder):
    (x_train, y_train), (x_test, y_test) = callback_data()
    printed = []

    class LossAndErrorPrintingCallback(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            printed.append("Up to batch {}, the average loss is {:7.2f}.".format(
                batch, logs["loss"]))

        def on_test_batch_end(self, batch, logs=None):
            printed.append("Up to batch {}, the average loss is {:7.2f}.".format(
                batch, logs["loss"]))

        def on_epoch_end(self, epoch, logs=None):
            printed.append("The average loss for epoch {} is {:7.2f} "
                           "and mean absolute error is {:7.2f}.".format(
                               epoch, logs["loss"], logs["mean_absolute_error"]))

    model = get_model(keras)
    model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0,
              callbacks=[LossAndErrorPrintingCallback()])
    res = model.evaluate(x_test, y_test, batch_size=128, verbose=0,
                         callbacks=[LossAndErrorPrintingCallback()])
    # The lines as printed, with the numbers that differ between the libraries masked.
    return {"lines": [re.sub(r" +-?\d+\.\d+", " #", line) for line in printed],
            "results": len(res)}


def early_stopping_at_min_loss(keras, folder):
    (x_train, y_train), _ = callback_data()

    class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
        """Stop training when the loss is at its min, i.e. the loss stops decreasing."""

        def __init__(self, patience=0):
            super().__init__()
            self.patience = patience
            self.best_weights = None

        def on_train_begin(self, logs=None):
            self.wait = 0
            self.stopped_epoch = 0
            self.best = np.inf

        def on_epoch_end(self, epoch, logs=None):
            current = logs.get("loss")
            if np.less(current, self.best):
                self.best = current
                self.wait = 0
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = epoch
                    self.model.stop_training = True
                    self.model.set_weights(self.best_weights)

    model = get_model(keras)
    stopper = EarlyStoppingAtMinLoss()
    # A learning rate this large makes the loss rise within a few epochs in both libraries.
    model.optimizer.learning_rate = 5.0
    history = model.fit(x_train, y_train, batch_size=64, epochs=30, verbose=0,
                        callbacks=[stopper])
    epochs = len(history.history["loss"])
    restored = all(np.array_equal(a, b)
                   for a, b in zip(model.get_weights(), stopper.best_weights))
    return {"stopped early": epochs < 30, "stopped at the last epoch": stopper.stopped_epoch
            == epochs - 1, "best weights restored": restored}


LR_SCHEDULE = [(3, 0.05), (6, 0.01), (9, 0.005), (12, 0.001)]


def lr_schedule(epoch, lr):
    """Helper function to retrieve the scheduled learning rate based on epoch."""
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


def custom_learning_rate_scheduler(keras, folder):
    (x_train, y_train), _ = callback_data()
    rates = []

    class CustomLearningRateScheduler(keras.callbacks.Callback):
        def __init__(self, schedule):
            super().__init__()
            self.schedule = schedule

        def on_epoch_begin(self, epoch, logs=None):
            if not hasattr(self.model.optimizer, "learning_rate"):
                raise ValueError('Optimizer must have a "learning_rate" attribute.')
            lr = self.model.optimizer.learning_rate
            scheduled_lr = self.schedule(epoch, lr)
            self.model.optimizer.learning_rate = scheduled_lr
            rates.append(round(float(np.array(scheduled_lr)), 6))

    model = get_model(keras)
    model.fit(x_train[:64], y_train[:64], batch_size=64, epochs=15, verbose=0,
              callbacks=[CustomLearningRateScheduler(lr_schedule)])
    return {"rates": rates,
            "optimizer's": round(float(np.array(model.optimizer.learning_rate)), 6)}


# -- "Training & evaluation with the built-in methods" ---------------------------------------

def get_uncompiled_model(keras):
    inputs = keras.Input(shape=(64,), name="digits")
    x = keras.layers.Dense(32, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(32, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model(keras):
    model = get_uncompiled_model(keras)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


def training_data():
    (x_train, y_train), (x_test, y_test) = flat_digits()
    # Reserve 200 samples for validation, as the guide reserves 10,000.
    return (x_train[:-200], y_train[:-200]), (x_train[-200:], y_train[-200:]), \
        (x_test, y_test)


def api_overview(keras, folder):
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = training_data()
    model = get_uncompiled_model(keras)
    model.compile(optimizer=keras.optimizers.RMSprop(),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0,
                        validation_data=(x_val, y_val))
    results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    predictions = model.predict(x_test[:3], verbose=0)
    return {"history": sorted(history.history), "epochs": len(history.history["loss"]),
            "results": len(results), "learned": results[1] > 0.3,
            "predictions": predictions.shape,
            "rows sum to one": bool(np.allclose(predictions.sum(axis=1), 1, atol=1e-5))}


def class_and_sample_weights(keras, folder):
    (x_train, y_train), _, (x_test, y_test) = training_data()
    class_weight = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0,
                    # Set weight "2" for class "5", making this class 2x more important
                    5: 2.0, 6: 1.0, 7: 1.0, 8: 1.0, 9: 1.0}
    model = get_compiled_model(keras)
    weighted = model.fit(x_train, y_train, class_weight=class_weight, batch_size=64,
                         epochs=1, verbose=0)
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    model = get_compiled_model(keras)
    sampled = model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64,
                        epochs=1, verbose=0)
    return {"class_weight": sorted(weighted.history), "sample_weight": sorted(sampled.history)}


def py_dataset(keras, folder):
    (x_train, y_train), (x_val, y_val), _ = training_data()

    class ExamplePyDataset(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x = x
            self.y = y
            self.batch_size = batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / float(self.batch_size)))

        def __getitem__(self, idx):
            batch_x = self.x[idx * self.batch_size:(idx + 1) * self.batch_size]
            batch_y = self.y[idx * self.batch_size:(idx + 1) * self.batch_size]
            return batch_x, batch_y

    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32)
    model = get_compiled_model(keras)
    batches = []
    counter = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batches.append(batch))
    history = model.fit(train_py_dataset, validation_data=val_py_dataset, epochs=1, verbose=0,
                        callbacks=[counter])
    return {"history": sorted(history.history), "batches": len(batches),
            "length": len(train_py_dataset),
            "evaluate": len(model.evaluate(val_py_dataset, verbose=0))}


def generator_with_steps_per_epoch(keras, folder):
    (x_train, y_train), (x_val, y_val), _ = training_data()

    def batches_forever(batch_size=32):
        while True:
            for start in range(0, len(x_train), batch_size):
                yield x_train[start:start + batch_size], y_train[start:start + batch_size]

    model = get_compiled_model(keras)
    steps = []
    history = model.fit(batches_forever(), steps_per_epoch=5, epochs=4, verbose=0,
                        validation_data=(x_val, y_val), validation_freq=2,
                        callbacks=[keras.callbacks.LambdaCallback(
                            on_train_batch_end=lambda batch, logs: steps.append(batch))])
    return {"history": sorted((key, len(values)) for key, values in history.history.items()),
            "steps": steps}


def built_in_callbacks(keras, folder):
    keras.utils.set_random_seed(0)
    (x_train, y_train), _, _ = training_data()
    model = get_compiled_model(keras)
    callbacks = [
        keras.callbacks.EarlyStopping(
            # Stop training when `val_loss` is no longer improving
            monitor="val_loss",
            # "no longer improving" being defined as "no better than 1e-2 less"
            min_delta=1e-2,
            # "no longer improving" being further defined as "for at least 2 epochs"
            patience=2,
            verbose=0),
        keras.callbacks.ModelCheckpoint(
            # The saved model name will include the current epoch.
            filepath=str(folder / "mymodel_{epoch}.keras"),
            save_best_only=True,  # Only save a model if `val_loss` has improved.
            monitor="val_loss", verbose=0),
        keras.callbacks.ModelCheckpoint(
            filepath=str(folder / "ckpt-loss={loss:.2f}.weights.h5"), save_weights_only=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1,
                                          min_lr=1e-4),
        keras.callbacks.CSVLogger(str(folder / "training.log")),
    ]
    # A learning rate this large stops the validation loss from improving early.
    model.optimizer.learning_rate = 0.5
    history = model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks,
                        validation_split=0.2, verbose=0)
    epochs = len(history.history["loss"])
    with open(folder / "training.log", newline="") as log:
        rows = list(csv.reader(log))
    written = files(folder)
    return {"stopped early": epochs < 20,
            "history": sorted(history.history),
            "csv header": rows[0], "csv rows": len(rows) - 1 == epochs,
            "best models": all(name.startswith("mymodel_") for name in written
                               if name.endswith(".keras")),
            "weights files": sum(name.endswith(".weights.h5") for name in written) >= 1,
            "learning rate cut": float(np.array(model.optimizer.learning_rate)) < 0.5}


def loss_history(keras, folder):
    (x_train, y_train), _, _ = training_data()

    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    model = get_compiled_model(keras)
    history = LossHistory()
    model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0, callbacks=[history])
    return {"losses": len(history.per_batch_losses),
            "numbers": all(np.isfinite(float(loss)) for loss in history.per_batch_losses)}


def checkpointing_and_restoring(keras, folder):
    (x_train, y_train), _, _ = training_data()
    checkpoint_dir = str(folder / "ckpt")
    os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        # Either restore the latest model, or create a fresh one if there is no checkpoint
        # available.
        checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            return keras.models.load_model(latest_checkpoint), latest_checkpoint
        return get_compiled_model(keras), None

    model, fresh_from = make_or_restore_model()
    callbacks = [
        # This callback saves the model every 10 batches. We include the training loss in
        # the saved model name.
        keras.callbacks.ModelCheckpoint(filepath=checkpoint_dir + "/model-loss={loss:.2f}.keras",
                                        save_freq=10)]
    model.fit(x_train, y_train, epochs=1, batch_size=64, callbacks=callbacks, verbose=0)
    saved = files(folder / "ckpt")
    restored, restored_from = make_or_restore_model()
    x = x_train[:4]
    return {"fresh at first": fresh_from is None, "checkpoints": len(saved) >= 1,
            "names": all(name.startswith("model-loss=") and name.endswith(".keras")
                         for name in saved),
            "restored": os.path.basename(restored_from) in saved,
            "compiled": restored.optimizer is not None,
            "predicts": restored.predict(x, verbose=0).shape}


def several_inputs_and_outputs(keras, folder):
    layers = keras.layers
    image_input = keras.Input(shape=(12, 12, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")
    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)
    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    model = keras.Model(inputs=[image_input, timeseries_input],
                        outputs=[score_output, class_output])
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={"score_output": keras.losses.MeanSquaredError(),
              # The guide leaves from_logits out, which Keras runs on the scores regardless
              # and nnlib refuses: its class output is scores, not probabilities.
              "class_output": keras.losses.CategoricalCrossentropy(from_logits=True)},
        metrics={"score_output": [keras.metrics.MeanAbsolutePercentageError(),
                                  keras.metrics.MeanAbsoluteError()],
                 "class_output": [keras.metrics.CategoricalAccuracy()]},
        loss_weights={"score_output": 2.0, "class_output": 1.0})
    rng = np.random.default_rng(0)
    img_data = rng.random(size=(40, 12, 12, 3)).astype("float32")
    ts_data = rng.random(size=(40, 8, 10)).astype("float32")
    score_targets = rng.random(size=(40, 1)).astype("float32")
    class_targets = rng.random(size=(40, 5)).astype("float32")
    history = model.fit({"img_input": img_data, "ts_input": ts_data},
                        {"score_output": score_targets, "class_output": class_targets},
                        batch_size=16, epochs=1, verbose=0)
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[keras.losses.MeanSquaredError(),
              keras.losses.CategoricalCrossentropy(from_logits=True)],
        metrics=[[keras.metrics.MeanAbsolutePercentageError(),
                  keras.metrics.MeanAbsoluteError()],
                 [keras.metrics.CategoricalAccuracy()]])
    as_lists = model.fit([img_data, ts_data], [score_targets, class_targets],
                         batch_size=16, epochs=1, verbose=0)
    return {"history": sorted(history.history), "as lists": sorted(as_lists.history),
            "params": model.count_params(),
            "predict": [shape(y) for y in model.predict([img_data, ts_data], verbose=0)]}


# -- "Imbalanced classification: credit card fraud detection" --------------------------------

def imbalanced_classification(keras, folder):
    keras.utils.set_random_seed(0)
    features, targets = load_breast_cancer(return_X_y=True)
    # The fraud data's positives are the rare class: keep one malignant case in six.
    keep = (targets == 1) | (np.arange(len(targets)) % 6 == 0)
    features, targets = features[keep].astype("float32"), targets[keep].reshape(-1, 1)
    targets = 1 - targets  # malignant is the positive, rare class
    num_val_samples = int(len(features) * 0.2)
    train_features = features[:-num_val_samples]
    train_targets = targets[:-num_val_samples]
    val_features = features[-num_val_samples:]
    val_targets = targets[-num_val_samples:]
    counts = np.bincount(train_targets[:, 0])
    weight_for_0 = 1.0 / counts[0]
    weight_for_1 = 1.0 / counts[1]
    mean = np.mean(train_features, axis=0)
    train_features -= mean
    val_features -= mean
    std = np.std(train_features, axis=0)
    train_features /= std
    val_features /= std

    model = keras.Sequential([
        keras.Input(shape=train_features.shape[1:]),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    metrics = [
        keras.metrics.FalseNegatives(name="fn"),
        keras.metrics.FalsePositives(name="fp"),
        keras.metrics.TrueNegatives(name="tn"),
        keras.metrics.TruePositives(name="tp"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=metrics)
    callbacks = [keras.callbacks.ModelCheckpoint(
        str(folder / "fraud_model_at_epoch_{epoch}.keras"))]
    class_weight = {0: weight_for_0, 1: weight_for_1}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = model.fit(train_features, train_targets, batch_size=2048, epochs=8,
                            verbose=2, callbacks=callbacks,
                            validation_data=(val_features, val_targets),
                            class_weight=class_weight)
    lines = printed.getvalue().splitlines()
    last = {key: values[-1] for key, values in history.history.items()}
    return {"params": model.count_params(), "history": sorted(history.history),
            "files": files(folder), "printed": len(lines),
            "epoch lines": [line for line in lines if line.startswith("Epoch ")],
            "counts add up": last["val_fn"] + last["val_fp"] + last["val_tn"] + last["val_tp"]
            == len(val_targets),
            "positives found": last["val_recall"] > 0.6}


# -- "Simple MNIST convnet" -------------------------------------------------------------------

def simple_convnet(keras, folder):
    keras.utils.set_random_seed(0)
    layers = keras.layers
    num_classes = 10
    input_shape = (8, 8, 1)
    (x_train, y_train), (x_test, y_test) = flat_digits()
    x_train = np.expand_dims(x_train.reshape(-1, 8, 8), -1)
    x_test = np.expand_dims(x_test.reshape(-1, 8, 8), -1)
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)
    # "same" padding keeps the 8x8 images large enough for the two poolings.
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(8, kernel_size=(3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=6, validation_split=0.1,
                        verbose=0)
    score = model.evaluate(x_test, y_test, verbose=0)
    return {"y_train": y_train.shape, "params": model.count_params(),
            "summary": any(f"Total params: {model.count_params():,}" in line
                           for line in lines),
            "history": sorted(history.history), "score": len(score), "learned": score[1] > 0.5}


# -- "Timeseries classification from scratch" ------------------------------------------------

def waves(count, length, rng):
    """Noisy slow waves (class 1) and fast waves (class -1), FordA's labels."""
    labels = rng.choice([-1, 1], size=count)
    periods = np.where(labels == 1, 1, 4)[:, None]
    phase = rng.uniform(0, 2 * np.pi, size=(count, 1))
    series = np.sin(2 * np.pi * periods * np.linspace(0, 1, length) + phase)
    return (series + rng.normal(scale=0.2, size=series.shape)).astype("float32"), labels


def timeseries_classification(keras, folder):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = waves(120, 32, rng)
    x_test, y_test = waves(60, 32, rng)
    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
    num_classes = len(np.unique(y_train))
    idx = np.random.permutation(len(x_train))
    x_train = x_train[idx]
    y_train = y_train[idx]
    y_train[y_train == -1] = 0
    y_test[y_test == -1] = 0

    def make_model(input_shape):
        input_layer = keras.layers.Input(input_shape)
        conv1 = keras.layers.Conv1D(filters=8, kernel_size=3, padding="same")(input_layer)
        conv1 = keras.layers.BatchNormalization()(conv1)
        conv1 = keras.layers.ReLU()(conv1)
        conv2 = keras.layers.Conv1D(filters=8, kernel_size=3, padding="same")(conv1)
        conv2 = keras.layers.BatchNormalization()(conv2)
        conv2 = keras.layers.ReLU()(conv2)
        conv3 = keras.layers.Conv1D(filters=8, kernel_size=3, padding="same")(conv2)
        conv3 = keras.layers.BatchNormalization()(conv3)
        conv3 = keras.layers.ReLU()(conv3)
        gap = keras.layers.GlobalAveragePooling1D()(conv3)
        output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)
        return keras.models.Model(inputs=input_layer, outputs=output_layer)

    model = make_model(input_shape=x_train.shape[1:])
    epochs = 20
    batch_size = 8
    best_model = str(folder / "best_model.keras")
    callbacks = [
        keras.callbacks.ModelCheckpoint(best_model, save_best_only=True, monitor="val_loss"),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2,
                                          min_lr=0.0001),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, verbose=0),
    ]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        callbacks=callbacks, validation_split=0.2, verbose=0)
    model = keras.models.load_model(best_model)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    metric = "sparse_categorical_accuracy"
    return {"num_classes": num_classes, "params": model.count_params(),
            "layers": [type(layer).__name__ for layer in model.layers],
            "history": sorted(history.history), "files": files(folder),
            "curve": len(history.history[metric]) == len(history.history["val_" + metric]),
            # The best model by val_loss can come from an early epoch, whose moving
            # statistics of BatchNormalization are still far off; training learns.
            "learned": max(history.history[metric]) > 0.8,
            "evaluated": bool(np.isfinite(test_loss) and 0 <= test_acc <= 1)}


# -- "Serialization and saving" -------------------------------------------------------------

def get_saving_model(keras):
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
    return model


def whole_model_saving(keras, folder):
    model = get_saving_model(keras)
    rng = np.random.default_rng(0)
    test_input = rng.random((128, 32)).astype("float32")
    test_target = rng.random((128, 1)).astype("float32")
    model.fit(test_input, test_target, verbose=0)
    model.save(str(folder / "my_model.keras"))
    reconstructed_model = keras.models.load_model(str(folder / "my_model.keras"))
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               reconstructed_model.predict(test_input, verbose=0), rtol=1e-6)
    # The reconstructed model is already compiled and has kept the optimizer state.
    reconstructed_model.fit(test_input, test_target, verbose=0)
    model.save_weights(str(folder / "my_model.weights.h5"))
    fresh = get_saving_model(keras)
    fresh.load_weights(str(folder / "my_model.weights.h5"))
    return {"files": files(folder), "compiled": reconstructed_model.optimizer is not None,
            "weights loaded": all(np.array_equal(a, b) for a, b in
                                  zip(fresh.get_weights(), model.get_weights()))}


def transfer_learning_weights(keras, folder):
    def create_layer():
        layer = keras.layers.Dense(64, activation="relu", name="dense_2")
        layer.build((None, 784))
        return layer

    layer_1 = create_layer()
    layer_2 = create_layer()
    layer_2.set_weights(layer_1.get_weights())

    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")
    # Extract a portion of the functional model defined in the Setup section.
    pretrained = keras.Model(functional_model.inputs, functional_model.layers[-1].input,
                             name="pretrained_model")
    for w1, w2 in zip(pretrained.weights, functional_model.weights):
        np.testing.assert_allclose(np.asarray(w1), np.asarray(w2))
    # Add a new dense layer on top, and save its weights.
    model = keras.Sequential([pretrained, keras.layers.Dense(5, name="predictions")])
    model.build((None, 784))
    model.save_weights(str(folder / "pretrained_ft.weights.h5"))
    again = keras.Sequential([
        keras.Model(functional_model.inputs, functional_model.layers[-1].input,
                    name="pretrained_model"),
        keras.layers.Dense(5, name="predictions")])
    again.build((None, 784))
    again.load_weights(str(folder / "pretrained_ft.weights.h5"))
    keras.saving.save_model(functional_model, str(folder / "mlp.keras"))
    return {"layers": all(np.array_equal(a, b) for a, b in
                          zip(layer_1.get_weights(), layer_2.get_weights())),
            "weights": len(model.weights), "params": model.count_params(),
            "loaded": all(np.array_equal(np.asarray(a), np.asarray(b))
                          for a, b in zip(model.weights, again.weights)),
            "saved": keras.saving.load_model(str(folder / "mlp.keras")).name}


SNIPPETS = [every_hook_in_order, loss_and_error_printing, early_stopping_at_min_loss,
            custom_learning_rate_scheduler, api_overview, class_and_sample_weights, py_dataset,
            generator_with_steps_per_epoch, built_in_callbacks, loss_history,
            checkpointing_and_restoring,
            several_inputs_and_outputs,
            imbalanced_classification, simple_convnet, timeseries_classification,
            whole_model_saving, transfer_learning_weights]


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.__name__)
def test_the_examples_give_what_keras_gives(snippet, keras, tmp_path):
    facts = both(snippet, keras, tmp_path)
    claims = [name for name, value in facts.items() if isinstance(value, bool)]
    assert all(facts[name] for name in claims), facts  # true in both, not false in both


def convnet(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(4, kernel_size=(3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    x = np.random.default_rng(0).random((16, 8, 8, 1)).astype("float32")
    return model, x, np.eye(10)[np.arange(16) % 10]


def timeseries_model(keras):
    input_layer = keras.layers.Input((12, 1))
    conv = keras.layers.Conv1D(filters=4, kernel_size=3, padding="same")(input_layer)
    conv = keras.layers.BatchNormalization()(conv)
    conv = keras.layers.ReLU()(conv)
    gap = keras.layers.GlobalAveragePooling1D()(conv)
    model = keras.models.Model(inputs=input_layer,
                               outputs=keras.layers.Dense(2, activation="softmax")(gap))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    x = np.random.default_rng(0).random((16, 12, 1)).astype("float32")
    return model, x, np.arange(16) % 2


@pytest.mark.parametrize("build", [convnet, timeseries_model], ids=lambda b: b.__name__)
@pytest.mark.parametrize("writer, reader", [("nnlib", "keras"), ("keras", "nnlib")])
@pytest.mark.parametrize("file_name", ["m.keras", "m.weights.h5"])
def test_a_file_one_library_writes_the_other_reads(build, writer, reader, file_name, keras,
                                                    tmp_path):
    """The guide's save and load across the two libraries, after a little training (so
    that BatchNormalization's moving statistics and the optimizer's state are not the
    initial ones): the model read predicts what the model written predicts."""
    libraries = {"nnlib": nnlib, "keras": keras}
    model, x, y = build(libraries[writer])
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    path = tmp_path / file_name
    if file_name.endswith(".keras"):
        model.save(path)
        read = libraries[reader].models.load_model(path)
        assert [layer.name for layer in read.layers] == [layer.name for layer in model.layers]
        assert int(np.asarray(read.optimizer.iterations)) == \
            int(np.asarray(model.optimizer.iterations)) == 4  # 2 epochs of 2 batches
    else:
        model.save_weights(path)
        read, _, _ = build(libraries[reader])
        read.load_weights(path)
    np.testing.assert_allclose(np.asarray(read.predict(x, verbose=0)),
                               np.asarray(model.predict(x, verbose=0)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build", [convnet, timeseries_model], ids=lambda b: b.__name__)
def test_a_model_handed_to_keras_and_back_predicts_the_same(build, keras):
    model, x, y = build(nnlib)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    theirs = nnlib.interop.to_keras(model)
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    theirs.fit(x, y, batch_size=8, epochs=1, verbose=0)
    back = nnlib.interop.from_keras(theirs)
    np.testing.assert_allclose(back.predict(x, verbose=0),
                               np.asarray(theirs.predict(x, verbose=0)), rtol=1e-5, atol=1e-6)
