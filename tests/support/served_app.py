"""The gateway app served over real HTTP from a thread, recording the requests it answers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from werkzeug.serving import make_server


@dataclass
class ServedApp:
    """Where the app listens and the (method, path) of each request it got."""

    url: str
    requests: list[tuple[str, str]] = field(default_factory=list)

    def count(self, method: str, suffix: str) -> int:
        """How many requests of this method had a path ending with suffix."""
        return sum(1 for m, p in self.requests if m == method and p.endswith(suffix))


@contextmanager
def serve_app(app: Flask) -> Iterator[ServedApp]:
    """Serve app on a free loopback port (threaded) for the duration."""
    served = ServedApp("")

    def recording(environ: dict[str, Any], start_response: Callable[..., Any]
                  ) -> Iterable[bytes]:
        served.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        result: Iterable[bytes] = app(environ, start_response)
        return result

    server = make_server("127.0.0.1", 0, recording, threaded=True)
    served.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="gateway-app", daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
