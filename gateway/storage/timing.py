"""Time spent in object-store calls: per request (for Server-Timing) and for observers (metrics)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

StoreObserver = Callable[[str, float, bool], None]


@dataclass
class StoreTimer:
    """Accumulates the store time of one request."""

    seconds: float = 0.0
    calls: int = 0
    by_operation: dict[str, float] = field(default_factory=dict)


_current: ContextVar[StoreTimer | None] = ContextVar("store_timer", default=None)
_observers: list[StoreObserver] = []


def start_store_timer() -> StoreTimer:
    """Begin accounting store calls for the current request (or task)."""
    timer = StoreTimer()
    _current.set(timer)
    return timer


def current_store_timer() -> StoreTimer | None:
    """The timer of the current request, if one was started."""
    return _current.get()


def add_store_observer(observer: StoreObserver) -> None:
    """Call `observer(operation, seconds, failed)` after every store call."""
    if observer not in _observers:
        _observers.append(observer)


def record_store_call(operation: str, seconds: float, failed: bool) -> None:
    """Account one finished store call."""
    timer = _current.get()
    if timer is not None:
        timer.seconds += seconds
        timer.calls += 1
        timer.by_operation[operation] = timer.by_operation.get(operation, 0.0) + seconds
    for observer in _observers:
        observer(operation, seconds, failed)
