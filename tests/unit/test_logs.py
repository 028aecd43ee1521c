"""JSON log lines and the request id they carry."""

from __future__ import annotations

import io
import json
import logging
import logging.config

from gateway.logs import (
    JsonFormatter,
    bind_request_id,
    current_request_id,
    logging_config,
    reset_request_id,
)


def _capture(fmt: str) -> tuple[logging.Logger, io.StringIO]:
    config = logging_config("INFO", fmt)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(config["filters"]["request_id"]["()"]())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(config["formatters"]["gateway"]["format"]))
    logger = logging.getLogger(f"test.logs.{fmt}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_lines_carry_the_bound_request_id_and_extras() -> None:
    logger, stream = _capture("json")
    token = bind_request_id("req-1")
    try:
        assert current_request_id() == "req-1"
        logger.info("checkpointed %d parts", 3, extra={"upload_id": "u-1"})
    finally:
        reset_request_id(token)
    logger.warning("outside a request")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "checkpointed 3 parts"
    assert (first["request_id"], first["upload_id"], first["level"]) == ("req-1", "u-1", "INFO")
    assert first["time"].endswith("+00:00")
    assert "request_id" not in second and current_request_id() is None


def test_exceptions_are_one_json_line() -> None:
    logger, stream = _capture("json")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "ValueError: boom" in json.loads(lines[0])["exception"]


def test_text_format_names_the_request() -> None:
    logger, stream = _capture("text")
    token = bind_request_id("req-2")
    logger.info("hello")
    reset_request_id(token)
    assert "[req-2] hello" in stream.getvalue()


def test_config_is_accepted_by_dict_config() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logging.config.dictConfig(logging_config("DEBUG", "json"))
        assert logging.getLogger("gunicorn.access").level == logging.CRITICAL
        assert logging.getLogger("botocore").level == logging.WARNING
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
