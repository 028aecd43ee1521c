"""Progress: a thread-safe byte counter feeding a callback, and a terminal progress bar."""

from __future__ import annotations

import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes total); done may step back when a part is re-sent."""


class ProgressTracker:
    """Counts bytes sent from many threads and reports the running total."""

    def __init__(self, total: int, callback: ProgressCallback | None) -> None:
        self.total = total
        self.done = 0
        self._callback = callback
        self._lock = threading.Lock()

    def advance(self, count: int) -> None:
        """Add (or, for a part being re-sent, subtract) bytes."""
        with self._lock:
            self.done += count
            if self._callback is not None:
                self._callback(self.done, self.total)


def format_bytes(count: float) -> str:
    """Bytes in binary units, three significant figures or so."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_duration(seconds: float) -> str:
    """Tenths of a second under ten seconds, else as format_clock."""
    if seconds < 10:
        return f"{max(seconds, 0.0):.1f} s"
    return format_clock(seconds)


def format_clock(seconds: float) -> str:
    """H:MM:SS or M:SS."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """One line on a terminal, redrawn at most ten times a second: bar, bytes, rate, ETA."""

    def __init__(self, label: str, stream: TextIO, clock: Callable[[], float] = time.monotonic,
                 window: float = 5.0) -> None:
        self.label = label
        self._stream = stream
        self._clock = clock
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()
        self._drawn_at = -1.0
        self._lock = threading.Lock()
        self._last = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        """Record progress; redraw if a tenth of a second has passed."""
        with self._lock:
            now = self._clock()
            self._last = (done, total)
            self._samples.append((now, done))
            while len(self._samples) > 2 and now - self._samples[0][0] > self._window:
                self._samples.popleft()
            if now - self._drawn_at >= 0.1:
                self._drawn_at = now
                self._draw(done, total)

    def rate(self) -> float | None:
        """Bytes per second over the recent window (None until measurable)."""
        if len(self._samples) < 2:
            return None
        (start, first), (end, last) = self._samples[0], self._samples[-1]
        if end - start < 0.2:
            return None
        return max(0.0, (last - first) / (end - start))

    def line(self, done: int, total: int, width: int) -> str:
        """The text of the bar for this progress and terminal width."""
        rate = self.rate()
        fraction = 1.0 if total == 0 else min(1.0, max(0.0, done / total))
        rate_text = f"{format_bytes(rate)}/s" if rate else "-- B/s"
        eta = (f"ETA {format_clock((total - done) / rate)}" if rate and done < total
               else "ETA --:--" if done < total else "")
        stats = (f" {fraction * 100:3.0f}% {format_bytes(done)}/{format_bytes(total)}"
                 f" {rate_text} {eta}").rstrip()
        label = self.label if len(self.label) <= 30 else "..." + self.label[-27:]
        room = width - len(label) - len(stats) - 4
        bar = ""
        if room >= 10:
            filled = int(room * fraction)
            bar = " [" + "#" * filled + "." * (room - filled) + "]"
        return f"{label}{bar}{stats}"[:max(width - 1, 20)]

    def finish(self, message: str | None = None) -> None:
        """Draw the final state and end the line (or replace it by message)."""
        with self._lock:
            width = shutil.get_terminal_size((80, 20)).columns
            text = message if message is not None else self.line(*self._last, width)
            self._stream.write("\r" + text.ljust(width - 1)[:max(width - 1, 20)] + "\n")
            self._stream.flush()

    def _draw(self, done: int, total: int) -> None:
        width = shutil.get_terminal_size((80, 20)).columns
        self._stream.write("\r" + self.line(done, total, width).ljust(width - 1))
        self._stream.flush()
