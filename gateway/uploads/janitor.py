"""Expiry: abort idle uploads in the store and mark them `expired`, once or periodically.

Safe with many replicas: each upload's move to `expired` is a conditional update that one
process wins, and aborting a store upload twice is harmless. The periodic runner also takes
a fleet-wide lease so that, however many processes run it, one pass happens per interval.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from gateway.uploads.model import Upload
from gateway.uploads.service import UploadService
from gateway.uploads.state import UploadState

log = logging.getLogger(__name__)
LEASE_NAME = "janitor"


class LeaseRepository(Protocol):
    """A named lease in the shared database."""

    def try_acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the lease if free, lapsed or already held by `holder`."""


@dataclass
class JanitorReport:
    """What one pass did."""

    expired: int = 0  # in_progress -> expired, won by this pass
    closed_in_store: int = 0  # store multipart uploads aborted
    errors: int = 0  # uploads whose store abort failed (retried on the next pass)


class Janitor:
    """The expiry use case."""

    def __init__(self, uploads: UploadService, batch_size: int = 200,
                 max_batches: int = 50) -> None:
        self._uploads = uploads
        self._batch_size = batch_size
        self._max_batches = max_batches

    def run_once(self) -> JanitorReport:
        """Expire every idle upload and close ended ones still open in the store."""
        report = JanitorReport()
        seen: set[str] = set()
        for _ in range(self._max_batches):
            now = self._uploads.clock()
            batch = [u for u in self._uploads.repository.uploads_to_expire(now, self._batch_size)
                     if u.id not in seen]
            if not batch:
                break
            for upload in batch:
                seen.add(upload.id)  # a store that keeps failing must not loop us forever
                self._expire(upload, now, report)
        return report

    def _expire(self, upload: Upload, now: datetime, report: JanitorReport) -> None:
        svc = self._uploads
        if upload.status is UploadState.IN_PROGRESS:
            if not svc.repository.set_status(upload.id, [UploadState.IN_PROGRESS],
                                             UploadState.EXPIRED, now,
                                             failure_reason="idle past its expiry"):
                return  # completed, aborted or expired by someone else meanwhile
            report.expired += 1
            svc.events.expired(upload)
        if upload.store_upload_id is None or not upload.store_open:
            return
        try:
            svc.close_in_store(upload)
            report.closed_in_store += 1
        except Exception:
            report.errors += 1
            log.exception("janitor: could not abort store upload of %s", upload.id)


class PeriodicJanitor:
    """Runs the janitor every `interval` seconds in a daemon thread, one pass per fleet."""

    def __init__(self, janitor: Janitor, leases: LeaseRepository, uploads: UploadService,
                 interval: float) -> None:
        self._janitor = janitor
        self._leases = leases
        self._clock = uploads.clock
        self._interval = interval
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin running passes in the background."""
        self._thread = threading.Thread(target=self._loop, name="gateway-janitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to finish and wait a little for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def tick(self) -> JanitorReport | None:
        """One attempt: run a pass if this process wins the lease for the coming interval."""
        now = self._clock()
        until = now + timedelta(seconds=self._interval)
        if not self._leases.try_acquire(LEASE_NAME, self._holder, now, until):
            return None
        report = self._janitor.run_once()
        if report.expired or report.closed_in_store or report.errors:
            log.info("janitor: expired %d, closed %d in the store, %d errors", report.expired,
                     report.closed_in_store, report.errors)
        return report

    def _loop(self) -> None:
        # A random first delay spreads workers and replicas that start together.
        delay = random.uniform(0, min(self._interval, 30.0))
        while not self._stop.wait(delay):
            try:
                self.tick()
            except Exception:
                log.exception("janitor pass failed; retrying next interval")
            delay = self._interval * random.uniform(0.9, 1.1)
