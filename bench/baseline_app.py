"""The benchmark's baseline: a trivial Flask JSON endpoint under gateway serve's gunicorn settings.

    .venv/bin/python -m bench.baseline_app --port 8100 --workers 2 --threads 4
"""

from __future__ import annotations

import argparse
import os
import sys

from flask import Flask

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gateway.server import WsgiServer, gunicorn_options  # noqa: E402


def make_app() -> Flask:
    """One route answering a small JSON object."""
    app = Flask(__name__)

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    """Serve the baseline app until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    options = gunicorn_options("127.0.0.1", args.port, args.workers, args.threads, "WARNING")
    WsgiServer(make_app, options).run()


if __name__ == "__main__":
    main()
