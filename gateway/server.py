"""`gateway serve`: migrate, then run the app under gunicorn (threads, graceful shutdown)."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from gateway.config import Settings


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn configured in code, loading one app per worker."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options to gunicorn's config."""
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the WSGI app inside the worker."""
        from gateway.app import create_app

        return create_app(self._settings)


def default_workers() -> int:
    """Two workers per CPU, between 2 and 8."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


def serve(settings: Settings, host: str, port: int, workers: int | None, threads: int) -> int:
    """Bring the schema up to date once, then serve until SIGTERM/SIGINT (graceful)."""
    from gateway.db.engine import make_engine
    from gateway.db.migrate import upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    options = {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 300,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": None,
        "loglevel": settings.log_level.lower(),
    }
    _Gunicorn(settings, options).run()
    return 0
