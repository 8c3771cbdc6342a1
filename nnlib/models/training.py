"""The training loop behind ``compile``, ``fit``, ``evaluate`` and ``predict``.

One step is four visible calls, the same a learner writes by hand::

    y_pred, tape = model.forward(x, training=True)
    loss, loss_cache = model.loss.forward(y, y_pred)
    _, grads = model.backward(model.loss.backward(1.0, loss_cache), tape, need_dx=False)
    model.optimizer.apply(grads, model.named_weights(trainable_only=True))
"""
import numpy as np

from .. import losses, metrics, optimizers
from ..callbacks import History
from ..progress import ProgressBar
from ..utils import generator


def batches(n, batch_size, order=None):
    """Index arrays of consecutive batches over ``n`` samples (in ``order`` if given)."""
    order = np.arange(n) if order is None else order
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


class Trainer:
    """``compile``/``fit``/``evaluate``/``predict`` for a model with
    ``forward``, ``backward`` and ``named_weights``."""

    def compile(self, optimizer, loss, metrics=None):
        """Choose the optimizer, the loss and the metrics (names or instances)."""
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metric_names = list(metrics or [])
        self.metrics = None  # built from the first batch, when shapes are known

    def build_metrics(self, y, y_pred):
        if self.metrics is None:
            self.metrics = [metrics.resolve_accuracy(y.shape, y_pred.shape, self.loss)
                            if isinstance(m, str) and m.lower() in ("accuracy", "acc")
                            else metrics.get(m) for m in self.metric_names]

    def require_compiled(self):
        if getattr(self, "loss", None) is None:
            raise RuntimeError(f"Model '{self.name}': call compile() before fit() or evaluate()")

    def train_step(self, x, y):
        """One step of gradient descent; returns the batch loss and predictions."""
        self.require_compiled()
        y_pred, tape = self.forward(self.prepare(x), training=True)
        loss, loss_cache = self.loss.forward(y, y_pred)
        _, grads = self.backward(self.loss.backward(1.0, loss_cache), tape, need_dx=False)
        self.optimizer.apply(grads, self.named_weights(trainable_only=True))
        return float(loss), y_pred

    def fit(self, x, y, batch_size=32, epochs=1, verbose=1, validation_data=None,
            shuffle=True, callbacks=None):
        """Train for ``epochs`` passes over ``(x, y)``; returns a ``History``."""
        self.require_compiled()
        x, y = self.check_data(x, y)
        history = History()
        callbacks = [history, *(callbacks or [])]
        for callback in callbacks:
            callback.set_model(self)
            callback.on_train_begin()
        n = len(y)
        for epoch in range(epochs):
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            order = generator().permutation(n) if shuffle else None
            steps = batches(n, batch_size, order)
            bar = ProgressBar(len(steps)) if verbose else None
            loss_mean = metrics.Mean()
            for metric in self.metrics or []:
                metric.reset_state()
            for step, index in enumerate(steps, 1):
                loss, y_pred = self.train_step(x[index], y[index])
                loss_mean.update_state(loss, sample_weight=len(index))
                self.build_metrics(y[index], y_pred)
                for metric in self.metrics:
                    metric.update_state(y[index], y_pred)
                logs = self.logs(loss_mean)
                if bar and step < len(steps):
                    bar.update(step, logs)
            if validation_data is not None:
                val = self.evaluate(*validation_data, batch_size=batch_size, verbose=0,
                                    return_dict=True)
                logs.update({f"val_{k}": v for k, v in val.items()})
            if bar:
                bar.update(len(steps), logs)
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs)
        for callback in callbacks:
            callback.on_train_end()
        return history

    def logs(self, loss_mean):
        logs = {"loss": float(loss_mean.result())}
        for metric in self.metrics or []:
            logs[metric.name] = float(metric.result())
        return logs

    def evaluate(self, x, y, batch_size=32, verbose=1, return_dict=False):
        """The loss (and metrics) over ``(x, y)``, in inference mode.

        Returns the loss alone when there are no metrics, else
        ``[loss, *metrics]``, as Keras does (or a dict with ``return_dict``).
        """
        self.require_compiled()
        x, y = self.check_data(x, y)
        loss_mean = metrics.Mean()
        for metric in self.metrics or []:
            metric.reset_state()
        steps = batches(len(y), batch_size)
        bar = ProgressBar(len(steps)) if verbose else None
        for step, index in enumerate(steps, 1):
            y_pred, _ = self.forward(self.prepare(x[index]), training=False)
            loss_mean.update_state(float(self.loss(y[index], y_pred)), sample_weight=len(index))
            self.build_metrics(y[index], y_pred)
            for metric in self.metrics:
                metric.update_state(y[index], y_pred)
            logs = self.logs(loss_mean)
            if bar:
                bar.update(step, logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=32):
        """The model's outputs for ``x``, computed batch by batch in inference mode."""
        x = np.asarray(x)
        outputs = [self.forward(self.prepare(x[index]), training=False)[0]
                   for index in batches(len(x), batch_size)]
        return np.concatenate(outputs)

    def check_data(self, x, y):
        x, y = np.asarray(x), np.asarray(y)
        if len(x) != len(y):
            raise ValueError(f"Model '{self.name}': x has {len(x)} samples but y has {len(y)}")
        return x, y
