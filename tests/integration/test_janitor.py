"""The janitor: idle uploads are aborted in the store and marked expired, exactly once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from gateway.api.context import Services
from gateway.app import build_services
from gateway.config import Settings
from gateway.db.tables import uploads
from gateway.uploads.janitor import Janitor, PeriodicJanitor
from gateway.uploads.policy import utcnow
from gateway.uploads.service import UploadService
from gateway.uploads.state import UploadState
from tests.support.api import Api, put_part


def _later(services: Services, seconds: float) -> UploadService:
    """The same service, its clock `seconds` ahead (an idle client, seen from the future)."""
    svc = services.uploads

    def clock() -> datetime:
        return utcnow() + timedelta(seconds=seconds)
    return UploadService(svc.repository, svc.store, svc.policy, clock=clock, events=svc.events)


def _services(app: Flask) -> Services:
    found: Services = app.extensions["gateway"]
    return found


def test_idle_upload_is_aborted_in_store_and_expired(app: Flask, api: Api, settings: Settings,
                                                     open_uploads: Callable[[], Any]) -> None:
    idle = api.initiate("idle.bin", 6 * 1024 * 1024)
    put_part(idle["parts"][0]["url"], b"x" * 5 * 1024 * 1024)
    empty = api.initiate("empty.bin", 0)  # no store upload to abort
    assert len(open_uploads()) == 1
    services = _services(app)

    early = Janitor(_later(services, settings.upload_ttl - 60)).run_once()
    assert early.expired == 0 and len(open_uploads()) == 1

    report = Janitor(_later(services, settings.upload_ttl + 1)).run_once()
    assert (report.expired, report.closed_in_store, report.errors) == (2, 1, 0)
    assert open_uploads() == []
    for upload in (idle, empty):
        view = api.get(f"/v1/uploads/{upload['upload_id']}").get_json()
        assert view["status"] == "expired"
    again = Janitor(_later(services, settings.upload_ttl + 1)).run_once()
    assert (again.expired, again.closed_in_store) == (0, 0)


def test_active_and_finished_uploads_are_left_alone(app: Flask, api: Api, settings: Settings,
                                                    open_uploads: Callable[[], Any]) -> None:
    done = api.initiate("done.txt", 0)
    assert api.post(f"/v1/uploads/{done['upload_id']}/complete").status_code == 200
    active = api.initiate("active.bin", 6 * 1024 * 1024)
    # Idle for 30 seconds only: far from its expiry.
    services = _services(app)
    report = Janitor(_later(services, 30)).run_once()
    assert report.expired == 0
    assert api.get(f"/v1/uploads/{active['upload_id']}").get_json()["status"] == "in_progress"
    assert api.get(f"/v1/uploads/{done['upload_id']}").get_json()["status"] == "completed"
    assert len(open_uploads()) == 1


def test_janitors_running_at_once_expire_each_upload_once(
        app: Flask, api: Api, settings: Settings, open_uploads: Callable[[], Any]) -> None:
    uploads = [api.initiate(f"abandoned-{i}.bin", 6 * 1024 * 1024) for i in range(12)]
    assert len(open_uploads()) == len(uploads)
    # Four replicas: each its own engine and store client, all on the same database.
    fleet = [build_services(settings) for _ in range(4)]
    try:
        janitors = [Janitor(_later(s, settings.upload_ttl + 1), batch_size=5) for s in fleet]
        with ThreadPoolExecutor(len(janitors)) as pool:
            reports = list(pool.map(lambda j: j.run_once(), janitors))
    finally:
        for services in fleet:
            services.close()
    assert sum(r.expired for r in reports) == len(uploads)
    assert sum(r.errors for r in reports) == 0
    assert open_uploads() == []
    statuses = {api.get(f"/v1/uploads/{u['upload_id']}").get_json()["status"] for u in uploads}
    assert statuses == {"expired"}


def test_periodic_janitor_runs_one_pass_per_interval_across_replicas(
        app: Flask, api: Api, settings: Settings) -> None:
    api.initiate("one.bin", 6 * 1024 * 1024)
    services = _services(app)
    late = _later(services, settings.upload_ttl + 1)
    interval = 600
    first = PeriodicJanitor(Janitor(late), services.leases, late, interval)
    other = build_services(replace(settings))
    try:
        second = PeriodicJanitor(Janitor(late), other.leases, late, interval)
        ran = first.tick()
        assert ran is not None and ran.expired == 1
        assert second.tick() is None  # the lease is held for the interval
        assert first.tick() is not None  # its holder renews it
        # Once the lease lapses, anyone may take it.
        much_later = _later(services, settings.upload_ttl + 3 * interval)
        third = PeriodicJanitor(Janitor(much_later), other.leases, much_later, interval)
        assert third.tick() is not None
    finally:
        other.close()


def test_ended_uploads_still_open_in_the_store_are_closed(
        app: Flask, api: Api, open_uploads: Callable[[], Any]) -> None:
    """An abort whose store call failed leaves the store upload open: the janitor retries it."""
    upload = api.initiate("half-aborted.bin", 6 * 1024 * 1024)
    services = _services(app)
    assert services.repository.set_status(upload["upload_id"], [UploadState.IN_PROGRESS],
                                          UploadState.ABORTED, utcnow())
    assert len(open_uploads()) == 1
    report = Janitor(services.uploads).run_once()
    assert (report.expired, report.closed_in_store, report.errors) == (0, 1, 0)
    assert open_uploads() == []
    assert api.get(f"/v1/uploads/{upload['upload_id']}").get_json()["status"] == "aborted"


def test_re_signing_keeps_an_upload_alive_with_a_minute_of_slack(app: Flask, api: Api) -> None:
    upload = api.initiate("kept.bin", 6 * 1024 * 1024)
    services = _services(app)
    tenant, upload_id = _tenant_of(services, upload["upload_id"]), upload["upload_id"]
    created = datetime.fromisoformat(upload["expires_at"])

    def expiry_after_re_sign(seconds_later: float) -> datetime:
        _later(services, seconds_later).presign(tenant, upload_id, [1], None)
        found = services.repository.get_upload(tenant, upload_id)
        assert found is not None
        return found.expires_at

    assert expiry_after_re_sign(30) == created  # within the slack: no write
    moved = expiry_after_re_sign(600)
    assert (moved - created).total_seconds() >= 590  # activity moved the expiry on


def _tenant_of(services: Services, upload_id: str) -> str:
    with services.engine.connect() as conn:
        return str(conn.execute(select(uploads.c.tenant_id)
                                .where(uploads.c.id == upload_id)).scalar_one())
