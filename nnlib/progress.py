"""The progress line ``fit`` and ``evaluate`` print, Keras style, without timings.

In a terminal the line is redrawn after every batch; elsewhere (a notebook,
a log file) it is written once, when the epoch ends, so outputs are the same
on every run.
"""
import sys


def format_logs(logs):
    """``loss: 0.1234 - accuracy: 0.9876``, four significant digits each."""
    return " - ".join(f"{key}: {value:#.4g}" for key, value in logs.items())


class ProgressBar:
    """Shows ``step/total`` with a bar and the running logs."""

    def __init__(self, total, width=20, stream=None):
        self.total = total
        self.width = width
        self.stream = stream or sys.stdout
        self.dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()

    def line(self, step, logs):
        filled = self.width * step // max(self.total, 1)
        bar = "━" * filled + " " * (self.width - filled)
        digits = len(str(self.total))
        return f"{step:>{digits}}/{self.total} {bar} {format_logs(logs)}".rstrip()

    def update(self, step, logs):
        if self.dynamic:
            end = "\n" if step == self.total else ""
            self.stream.write("\r" + self.line(step, logs) + end)
        elif step == self.total:
            self.stream.write(self.line(step, logs) + "\n")
        self.stream.flush()
