"""Liveness and readiness probes (no API key)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.api.context import services
from gateway.errors import DATABASE_UNAVAILABLE, GatewayError

blp = Blueprint("health", __name__, description="Probes for load balancers and orchestrators.")


@blp.route("/health")
class Health(MethodView):
    """Liveness."""

    @blp.response(200)
    @blp.doc(security=[])
    def get(self) -> Any:
        """The process is up."""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    """Readiness."""

    @blp.response(200)
    @blp.doc(security=[])
    def get(self) -> Any:
        """The database and the bucket both answer."""
        svc = services()
        try:
            svc.repository.ping()
        except Exception as exc:
            raise GatewayError(DATABASE_UNAVAILABLE, "the database does not answer") from exc
        svc.store.check()
        return {"status": "ready", "database": "ok", "store": "ok"}
