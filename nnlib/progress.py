"""The progress line ``fit``, ``evaluate`` and ``predict`` print, Keras style,
without timings.

In a terminal the line is redrawn after every batch; elsewhere (a notebook,
a log file) it is written once, when the epoch ends, so outputs are the same
on every run.  When the number of batches is not known in advance (a Python
generator) the line shows ``step/Unknown`` until the end.
"""
import sys


def format_logs(logs):
    """``loss: 0.1234 - accuracy: 0.9876``, four significant digits each."""
    return " - ".join(f"{key}: {value:#.4g}" for key, value in logs.items())


class ProgressBar:
    """Shows ``step/total`` with a bar and the running logs (``total=None``:
    not known until ``finish``)."""

    def __init__(self, total, width=20, stream=None):
        self.total = total
        self.width = width
        self.step = 0
        self.stream = stream or sys.stdout
        self.dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()

    def line(self, step, logs):
        if self.total is None:
            return f"{step}/Unknown {format_logs(logs)}".rstrip()
        filled = self.width * step // max(self.total, 1)
        bar = "━" * filled + " " * (self.width - filled)
        digits = len(str(self.total))
        return f"{step:>{digits}}/{self.total} {bar} {format_logs(logs)}".rstrip()

    def update(self, step, logs):
        """After batch ``step`` (counting from 1): redraw the line in a terminal."""
        self.step = step
        if self.dynamic:
            self.stream.write("\r" + self.line(step, logs))
            self.stream.flush()

    def finish(self, logs):
        """The final line, with the epoch's ``logs``: at the total (the batches
        seen, if the total was unknown), even if the epoch stopped early."""
        if self.total is None:
            self.total = self.step
        self.stream.write(("\r" if self.dynamic else "") + self.line(self.total, logs) + "\n")
        self.stream.flush()
