"""Part tokens sent to the gateway in batches from a background thread."""

from __future__ import annotations

import threading
import time

from gateway.client.errors import ClientError
from gateway.client.http import ApiSession


class Checkpointer:
    """Collects part tokens and checkpoints them when `every` wait or the oldest is `interval`
    seconds old, so an interrupted upload resumes without one API call per part."""

    def __init__(self, api: ApiSession, upload_id: str, every: int, interval: float) -> None:
        self._api = api
        self._path = f"/v1/uploads/{upload_id}/checkpoint"
        self._every = every
        self._interval = interval
        self._pending: dict[int, str] = {}
        self._oldest = 0.0
        self._closing = False
        self._cond = threading.Condition()
        self.error: ClientError | None = None
        self.calls = 0
        self.parts_checkpointed = 0
        self._thread = threading.Thread(target=self._run, name="checkpointer", daemon=True)
        self._thread.start()

    def add(self, part_number: int, token: str) -> None:
        """A part is stored; its token will be checkpointed with the next batch."""
        with self._cond:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending[part_number] = token
            if len(self._pending) >= self._every:
                self._cond.notify()

    def close(self, flush: bool) -> dict[int, str]:
        """Stop; with flush, checkpoint what waits. The tokens not checkpointed, by part."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()
        with self._cond:
            pending, self._pending = self._pending, {}
        if flush and pending and self.error is None:
            self._send(pending)
            return {}
        return pending

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closing and not self._due():
                    timeout = None
                    if self._pending:
                        timeout = max(0.0, self._oldest + self._interval - time.monotonic())
                    self._cond.wait(timeout)
                if self._closing:
                    return
                batch, self._pending = self._pending, {}
            try:
                self._send(batch)
            except ClientError as exc:
                with self._cond:
                    self.error = exc
                    self._pending = {**batch, **self._pending}
                return

    def _due(self) -> bool:
        if not self._pending:
            return False
        return (len(self._pending) >= self._every
                or time.monotonic() - self._oldest >= self._interval)

    def _send(self, batch: dict[int, str]) -> None:
        parts = [{"part_number": n, "part_token": t} for n, t in sorted(batch.items())]
        self._api.call("POST", self._path, json={"parts": parts})
        self.calls += 1
        self.parts_checkpointed += len(parts)
