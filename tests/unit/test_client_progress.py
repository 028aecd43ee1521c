"""The terminal progress bar and the byte formats it prints."""

from __future__ import annotations

import io

import pytest

from gateway.client.progress import ProgressBar, ProgressTracker, format_bytes, format_duration

MIB = 1024 * 1024


@pytest.mark.parametrize(("count", "text"), [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (5 * MIB + MIB // 2, "5.5 MiB"),
    (3 * 1024 ** 4, "3.0 TiB"), (5000 * 1024 ** 4, "5000.0 TiB")])
def test_format_bytes(count: int, text: str) -> None:
    assert format_bytes(count) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (0.04, "0.0 s"), (9.94, "9.9 s"), (10, "0:10"), (75, "1:15"), (3 * 3600 + 61, "3:01:01")])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_shows_rate_and_eta_from_recent_progress() -> None:
    clock, out = FakeClock(), io.StringIO()
    bar = ProgressBar("big.bin", out, clock=clock)
    bar(0, 100 * MIB)
    assert "-- B/s" in out.getvalue() and "ETA --:--" in out.getvalue()
    for step in range(1, 5):
        clock.now += 1
        bar(step * 10 * MIB, 100 * MIB)
    line = bar.line(40 * MIB, 100 * MIB, 100)
    assert line.startswith("big.bin [") and "40% 40.0 MiB/100.0 MiB" in line
    assert "10.0 MiB/s" in line and line.endswith("ETA 0:06") and len(line) <= 99
    assert out.getvalue().count("\r") == 5


def test_the_bar_is_redrawn_at_most_ten_times_a_second() -> None:
    clock, out = FakeClock(), io.StringIO()
    bar = ProgressBar("x", out, clock=clock)
    for done in range(50):
        clock.now += 0.01
        bar(done, 100)
    assert out.getvalue().count("\r") == 5


def test_a_narrow_terminal_drops_the_bar_and_a_long_name_is_shortened() -> None:
    bar = ProgressBar("a-very-long-file-name-that-goes-on-and-on.bin", io.StringIO())
    line = bar.line(1, 2, 60)
    assert "[" not in line and line.startswith("...") and len(line) <= 59


def test_finish_ends_the_line_with_a_message() -> None:
    out = io.StringIO()
    ProgressBar("x", out).finish("uploaded x")
    assert out.getvalue().startswith("\ruploaded x") and out.getvalue().endswith("\n")


def test_the_tracker_reports_running_totals_and_steps_back_for_a_resend() -> None:
    seen: list[tuple[int, int]] = []
    tracker = ProgressTracker(10, lambda done, total: seen.append((done, total)))
    tracker.advance(4)
    tracker.advance(-4)
    tracker.advance(10)
    assert seen == [(4, 10), (0, 10), (10, 10)]
