"""HTTP to the gateway: thread-local sessions, bounded retries with backoff and jitter."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from gateway import __version__
from gateway.client.config import Endpoint, TransferConfig
from gateway.client.errors import ApiError, ClientError, TransferError

log = logging.getLogger("gateway.client")
T = TypeVar("T")
USER_AGENT = f"gateway-client/{__version__}"
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout)


class Transient(Exception):
    """A failure worth another try; carries the wait the server asked for, if any."""

    def __init__(self, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.retry_after = retry_after


def transient_status(status: int) -> bool:
    """Statuses a retry may cure: throttling and server-side trouble."""
    return status == 429 or status >= 500


def backoff_delay(attempt: int, config: TransferConfig, retry_after: float | None = None
                  ) -> float:
    """Seconds to wait before try `attempt + 1`: full jitter, or what Retry-After asked."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), config.backoff_max)
    ceiling = min(config.backoff_max, config.backoff_base * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)


def retry_after_seconds(response: requests.Response) -> float | None:
    """Retry-After in seconds, when given as a number."""
    value = response.headers.get("Retry-After", "")
    try:
        return float(value)
    except ValueError:
        return None


def with_retries(action: Callable[[], T], config: TransferConfig, what: str,
                 stop: threading.Event | None = None) -> T:
    """Run action until it returns, retrying `Transient` up to config.max_attempts tries."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return action()
        except Transient as exc:
            if attempt >= config.max_attempts:
                raise TransferError(f"{what}: gave up after {attempt} tries: {exc}") from exc
            delay = backoff_delay(attempt, config, exc.retry_after)
            log.info("%s: %s; try %d of %d in %.1fs", what, exc, attempt + 1,
                     config.max_attempts, delay)
            if stop is not None and stop.wait(delay):
                raise TransferError(f"{what}: stopped while waiting to retry: {exc}") from exc
            if stop is None:
                time.sleep(delay)


def describe_network_error(exc: Exception, url: str) -> str:
    """A short description of a connection error or timeout."""
    if isinstance(exc, requests.Timeout):
        return f"timed out talking to {url}"
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "Connection reset",
                  "Remote end closed connection", "Temporary failure in name resolution"):
        if known in text:
            return f"cannot reach {url}: {known.lower()}"
    return f"cannot reach {url}: {type(exc).__name__}"


class ApiSession:
    """Calls the gateway's /v1 API with the key; one requests.Session per thread."""

    def __init__(self, endpoint: Endpoint, config: TransferConfig) -> None:
        self.endpoint = endpoint
        self.config = config
        self._local = threading.local()

    def session(self) -> requests.Session:
        """This thread's session (connection pools are not shared across threads)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
        return session

    def call(self, method: str, path: str, *, json: Any = None,
             params: dict[str, Any] | None = None, read_timeout: float | None = None,
             stop: threading.Event | None = None) -> Any:
        """One API call with retries; the decoded JSON body (None for 204), or ApiError."""
        url = f"{self.endpoint.url}{path}"
        timeout = (self.config.connect_timeout, read_timeout or self.config.read_timeout)
        headers = {"Authorization": f"Bearer {self.endpoint.api_key}"}

        def attempt() -> Any:
            try:
                response = self.session().request(method, url, json=json, params=params,
                                                  headers=headers, timeout=timeout,
                                                  allow_redirects=False)
            except NETWORK_ERRORS as exc:
                raise Transient(describe_network_error(exc, self.endpoint.url)) from exc
            if response.status_code < 300:
                return None if response.status_code == 204 else _json_of(response, url)
            error = api_error(response, url)
            if error.retryable or transient_status(response.status_code):
                raise Transient(str(error), retry_after_seconds(response))
            raise error

        return with_retries(attempt, self.config, f"{method} {path}", stop)


def _json_of(response: requests.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ClientError(f"{url} answered {response.status_code} without JSON: "
                          "is this a gateway URL?") from exc


def api_error(response: requests.Response, url: str) -> ApiError:
    """The gateway's JSON error body as an ApiError (a plain one for non-gateway answers)."""
    request_id = response.headers.get("X-Request-ID")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "message" not in body:
        return ApiError(response.status_code, "not_a_gateway_answer",
                        f"{url} answered {response.status_code} {response.reason} "
                        "without the gateway's JSON error: is this a gateway URL?",
                        retryable=False, request_id=request_id)
    message = str(body["message"])
    return ApiError(response.status_code, str(body.get("error", "error")), message,
                    retryable=bool(body.get("retryable")), details=body.get("details"),
                    request_id=request_id)
