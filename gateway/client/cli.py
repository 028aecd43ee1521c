"""`gateway upload | download | ls | rm`: the client commands, built on the SDK."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from gateway.client import report
from gateway.client.client import GatewayClient
from gateway.client.config import CHECKSUM_TYPES, TransferConfig
from gateway.client.download import DownloadResult
from gateway.client.errors import ApiError, ClientError, UsageError
from gateway.client.progress import ProgressBar
from gateway.client.upload import UploadResult, open_source

INTERRUPTED = 130
Command = Callable[[argparse.Namespace], int]


def add_client_commands(commands: Any) -> None:
    """Add upload, download, ls and rm to the `gateway` command's subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help="the gateway (default: $GATEWAY_URL)")
    common.add_argument("--api-key", help="the API key (default: $GATEWAY_API_KEY)")
    common.add_argument("--max-attempts", type=_positive, default=5, metavar="N",
                        help="tries per request on transient failures (default 5)")
    common.add_argument("-v", "--verbose", action="store_true",
                        help="log retries; on errors, show details and a traceback")
    common.add_argument("--json", action="store_true", help="print results as JSON")
    transfer = argparse.ArgumentParser(add_help=False)
    transfer.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    upload = commands.add_parser("upload", parents=[common, transfer],
                                 help="upload files: parallel, resumable, verified")
    upload.add_argument("files", nargs="+", metavar="FILE")
    upload.add_argument("-j", "--concurrency", type=_positive, default=8, metavar="N",
                        help="parts in flight at once (default 8); memory ~ N x part size")
    upload.add_argument("--name", help="the filename to record (one FILE only)")
    upload.add_argument("--content-type", help="default: guessed from the name")
    upload.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                        help="metadata to store with the file (repeatable)")
    upload.add_argument("--checkpoint-every", type=_positive, default=32, metavar="N",
                        help="checkpoint part tokens every N parts (or every 5 s)")
    upload.add_argument("--url-ttl", type=_positive, default=None, metavar="SECONDS",
                        help="lifetime to ask for when re-signing part URLs")
    upload.add_argument("--checksum-type", choices=CHECKSUM_TYPES, default="composite",
                        help="composite (default): each part is sent with its CRC32C, which "
                             "its URL signs; full_object: parts carry none")
    upload.set_defaults(run=_guarded(_upload))

    download = commands.add_parser("download", parents=[common, transfer],
                                   help="download files, verifying their CRC32C")
    download.add_argument("file_ids", nargs="+", metavar="FILE_ID")
    download.add_argument("-o", "--output", metavar="PATH",
                          help="file to write, or a directory (default: the stored name in .)")
    download.set_defaults(run=_guarded(_download))

    listing = commands.add_parser("ls", parents=[common], help="list files, newest first")
    listing.add_argument("--prefix", help="only filenames starting with this")
    listing.add_argument("--limit", type=_positive, default=None, help="at most this many")
    listing.set_defaults(run=_guarded(_ls))

    remove = commands.add_parser("rm", parents=[common], help="delete files")
    remove.add_argument("file_ids", nargs="+", metavar="FILE_ID")
    remove.set_defaults(run=_guarded(_rm))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _guarded(command: Command) -> Command:
    """Errors become one line on stderr and an exit status; --verbose adds the details."""
    def run(args: argparse.Namespace) -> int:
        if args.verbose:
            logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                                format="gateway: %(message)s")
        try:
            return command(args)
        except ClientError as exc:
            _error(args, str(exc), exc)
            return exc.exit_status
        except KeyboardInterrupt:
            print("\ngateway: interrupted; run the same command again to resume",
                  file=sys.stderr)
            return INTERRUPTED
        except Exception as exc:  # a bug of ours: still one line unless --verbose
            _error(args, f"unexpected {type(exc).__name__}: {exc}", exc)
            return 1
    return run


def _error(args: argparse.Namespace, message: str, exc: BaseException | None = None) -> None:
    print(f"gateway: error: {message}", file=sys.stderr)
    if not args.verbose or exc is None:
        return
    if isinstance(exc, ApiError):
        print(f"gateway: request id {exc.request_id}; details {exc.details}", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)


def _client(args: argparse.Namespace, **transfer: Any) -> GatewayClient:
    config = TransferConfig(max_attempts=args.max_attempts, **transfer)
    return GatewayClient(args.url, args.api_key, config)


def _bar(args: argparse.Namespace, label: str) -> ProgressBar | None:
    """A progress bar on stderr when it is a terminal and --quiet is not given."""
    if args.quiet or not sys.stderr.isatty():
        return None
    return ProgressBar(label, sys.stderr)


def _upload(args: argparse.Namespace) -> int:
    if args.name and len(args.files) > 1:
        raise UsageError("--name names one file; give one FILE with it")
    metadata = {}
    for item in args.metadata:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--metadata wants KEY=VALUE, not {item!r}")
        metadata[key] = value
    for path in args.files:  # every file checked before any is sent
        open_source(path)[0].close()
    client = _client(args, concurrency=args.concurrency, checkpoint_every=args.checkpoint_every,
                     url_ttl=args.url_ttl, checksum_type=args.checksum_type)
    done: list[UploadResult] = []
    failed: list[tuple[str, str, str]] = []
    for path in args.files:
        bar = _bar(args, args.name or os.path.basename(path))
        try:
            result = client.upload_file(path, filename=args.name,
                                        content_type=args.content_type,
                                        metadata=metadata, progress=bar)
        except ClientError as exc:
            if bar:
                bar.finish(f"failed: {os.path.basename(path)}")
            _error(args, f"{path}: {exc}", exc)
            failed.append((path, str(exc), getattr(exc, "code", type(exc).__name__)))
            continue
        if bar:
            bar.finish(report.upload_line(result))
        done.append(result)
    if args.json:
        report.upload_json(done, failed, sys.stdout)
    else:
        report.upload_summary(done, [(p, e) for p, e, _ in failed], sys.stdout)
    return 1 if failed else 0


def _download(args: argparse.Namespace) -> int:
    if len(args.file_ids) > 1 and args.output and not os.path.isdir(args.output):
        raise UsageError("with several FILE_IDs, -o must name a directory")
    client = _client(args)
    done: list[DownloadResult] = []
    failures = 0
    for file_id in args.file_ids:
        bar = _bar(args, file_id[:8])
        try:
            result = client.download_file(file_id, args.output, progress=bar)
        except ClientError as exc:
            if bar:
                bar.finish(f"failed: {file_id}")
            if isinstance(exc, UsageError):
                raise
            _error(args, f"{file_id}: {exc}", exc)
            failures += 1
            continue
        if bar:
            bar.finish()
        done.append(result)
        if not args.json:
            print(report.download_line(result))
    if args.json:
        report.dump([r.as_dict() for r in done], sys.stdout)
    return 1 if failures else 0


def _ls(args: argparse.Namespace) -> int:
    files = _client(args).list_files(filename_prefix=args.prefix, limit=args.limit)
    if args.json:
        report.dump(list(files), sys.stdout)
    else:
        report.files_table(files, sys.stdout)
    return 0


def _rm(args: argparse.Namespace) -> int:
    client = _client(args)
    deleted, failures = [], 0
    for file_id in args.file_ids:
        try:
            client.delete_file(file_id)
        except ApiError as exc:
            _error(args, f"{file_id}: {exc}", exc)
            failures += 1
            continue
        deleted.append(file_id)
        if not args.json:
            print(f"deleted {file_id}")
    if args.json:
        report.dump({"deleted": deleted}, sys.stdout)
    return 1 if failures else 0
