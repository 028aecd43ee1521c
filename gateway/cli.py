"""The `gateway` command: serve, keys, bucket setup (operators) and client commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from gateway.client.cli import add_client_commands
from gateway.config import ConfigError, Settings, load_dotenv_if_present


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gateway` console script."""
    load_dotenv_if_present()
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args)
        return result
    except ConfigError as exc:
        print(f"gateway: configuration error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the service under gunicorn")
    serve.add_argument("--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")))
    workers = os.environ.get("GATEWAY_WORKERS")
    serve.add_argument("--workers", type=int, default=int(workers) if workers else None,
                       help="worker processes (default: 2 per usable CPU, 2 to 8)")
    serve.add_argument("--threads", type=int, default=int(os.environ.get("GATEWAY_THREADS", "4")),
                       help="threads per worker (default 4)")
    serve.set_defaults(run=_serve)

    janitor = commands.add_parser("janitor", help="expire abandoned uploads once")
    janitor.set_defaults(run=_janitor)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(title="actions")
    create = keys.add_parser("create", help="create a key (and the tenant if new)")
    create.add_argument("--tenant", required=True)
    create.add_argument("--label", default=None)
    create.set_defaults(run=_keys_create)
    keys.add_parser("list", help="list keys").set_defaults(run=_keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id")
    revoke.set_defaults(run=_keys_revoke)

    bucket = commands.add_parser("bucket", help="prepare the bucket").add_subparsers(
        title="actions")
    bucket.add_parser("setup", help="create the bucket, its CORS and lifecycle rules"
                      ).set_defaults(run=_bucket_setup)
    add_client_commands(commands)
    return parser


def _services(migrate: bool = True):  # type: ignore[no-untyped-def]
    from gateway.app import build_services

    return build_services(Settings.from_env(), migrate=migrate)


def _serve(args: argparse.Namespace) -> int:
    from gateway.server import serve

    return serve(Settings.from_env(), args.host, args.port, args.workers, args.threads)


def _janitor(_: argparse.Namespace) -> int:
    from gateway.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    services = _services()
    try:
        report = services.janitor.run_once()
    finally:
        services.close()
    print(f"expired {report.expired} uploads; aborted {report.closed_in_store} store uploads; "
          f"{report.errors} errors")
    return 1 if report.errors else 0


def _keys_create(args: argparse.Namespace) -> int:
    from gateway.uploads.policy import utcnow

    key_id, token = _services().keys.create_key(args.tenant, utcnow(), args.label)
    print(f"created key {key_id} for tenant {args.tenant}; it is shown once:", file=sys.stderr)
    print(token)
    return 0


def _keys_list(_: argparse.Namespace) -> int:
    keys = _services().keys.list_keys()
    print(f"{'KEY ID':<18} {'TENANT':<24} {'CREATED':<26} STATUS")
    for key in keys:
        status = "revoked" if key.revoked_at else "active"
        print(f"{key.id:<18} {key.tenant_name:<24} {key.created_at.isoformat():<26} {status}")
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from gateway.uploads.policy import utcnow

    if _services().keys.revoke(args.key_id, utcnow()):
        print(f"revoked {args.key_id}")
        return 0
    print(f"gateway: no active key {args.key_id}", file=sys.stderr)
    return 1


def _bucket_setup(_: argparse.Namespace) -> int:
    from gateway.storage.bucket import setup_bucket
    from gateway.storage.s3 import make_s3_client

    settings = Settings.from_env()
    client = make_s3_client(endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
                            addressing_style=settings.s3_addressing_style)
    report = setup_bucket(client, settings.s3_bucket, settings.s3_region,
                          settings.cors_origins, settings.upload_ttl)
    for line in report.lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
