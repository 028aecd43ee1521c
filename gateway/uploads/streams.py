"""Client bodies on their way to the store: exact lengths, CRC32C on the fly, bounded memory."""

from __future__ import annotations

from collections.abc import Iterator

import google_crc32c

from gateway.errors import INCOMPLETE_BODY, SIZE_MISMATCH, GatewayError
from gateway.storage.interface import ByteSource

READ_AHEAD = 1024 * 1024


class ExactBodyReader:
    """A read-only stream of exactly `length` bytes of a client's body, for one store request.

    It computes the CRC32C of what passes through. A body that ends early or runs on past
    `length` raises before the last byte is handed over, so the store's request is cut short
    and the store keeps nothing of the wrong size. It reads the client in blocks of up to
    1 MiB whatever size the store's HTTP client asks for (fewer, larger reads cost the
    server less copying). It cannot seek: a store request that fails midway is not retried
    with it (the client sends the part again).
    """

    def __init__(self, source: ByteSource, length: int, what: str = "the body", *,
                 declared: bool = False) -> None:
        self._source = source
        self._length = length
        self._what = what
        self._declared = declared  # the client's own Content-Length, not the plan's size
        self._delivered = 0
        self._pulled = 0
        self._pending = b""
        self._offset = 0
        self._crc = 0
        self.failure: GatewayError | None = None

    @property
    def crc32c(self) -> int:
        """The CRC32C of the bytes handed out so far."""
        return int(self._crc)

    @property
    def bytes_read(self) -> int:
        """How many bytes were handed out."""
        return self._delivered

    def readable(self) -> bool:
        """A stream one reads from."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative); b"" only once `length` is met."""
        try:
            return self._read(size)
        except GatewayError as exc:
            # An HTTP client may wrap what a body raises in its own errors (boto3 does, and
            # retries); the caller finds the real reason here.
            self.failure = exc
            raise

    def _read(self, size: int | None) -> bytes:
        remaining = self._length - self._delivered
        if remaining <= 0:
            return b""
        want = remaining if size is None or size < 0 else min(size, remaining)
        last = want == remaining
        # The last bytes come with one more asked for, to prove the body really ends here.
        available = self._fill(want + 1 if last else want, until_full=last)
        if last and available > want:
            raise GatewayError(SIZE_MISMATCH, f"{self._what} is longer than {self._length} "
                               "bytes", expected_bytes=self._length)
        if available < want and (last or available == 0):
            received = self._delivered + available
            if self._declared:
                raise GatewayError(INCOMPLETE_BODY, f"the body ended after {received} of its "
                                   f"{self._length} bytes", expected_bytes=self._length,
                                   received_bytes=received)
            raise GatewayError(SIZE_MISMATCH, f"{self._what} has {received} bytes; it must "
                               f"have {self._length}", expected_bytes=self._length,
                               received_bytes=received)
        taken = min(want, available)
        data = self._pending[self._offset:self._offset + taken]
        self._offset += taken
        self._delivered += taken
        self._crc = google_crc32c.extend(self._crc, data)
        return data

    def _fill(self, target: int, *, until_full: bool) -> int:
        """Pull from the client until `target` bytes are pending (or one read, or its end)."""
        available = len(self._pending) - self._offset
        if available >= target:
            return available
        chunks = [self._pending[self._offset:]] if available else []
        # Never more than length + 1 in all: enough to tell a body that runs on.
        budget = self._length + 1 - self._pulled
        while available < target and budget > 0:
            chunk = read_client(self._source, min(max(READ_AHEAD, target - available), budget))
            if not chunk:
                break
            chunks.append(chunk)
            available += len(chunk)
            self._pulled += len(chunk)
            budget -= len(chunk)
            if not until_full:
                break
        self._pending, self._offset = b"".join(chunks), 0
        return available


def read_client(source: ByteSource, size: int) -> bytes:
    """One read of a client's body; a broken or abandoned body becomes a clear 400."""
    try:
        return source.read(size)
    except GatewayError:
        raise
    except Exception as exc:  # the server's own disconnect or socket error types
        raise GatewayError(INCOMPLETE_BODY, f"the request body could not be read to its end: "
                           f"{exc}") from exc


class PartBuffer:
    """Bytes collected into parts of a fixed size: at most one part (plus a chunk) in memory."""

    def __init__(self, part_size: int) -> None:
        self.part_size = part_size
        self._buffer = bytearray()
        self.total = 0
        self._crc = 0

    @property
    def crc32c(self) -> int:
        """The CRC32C of every byte added so far."""
        return int(self._crc)

    @property
    def pending(self) -> int:
        """Bytes held but not yet taken as a part."""
        return len(self._buffer)

    def add(self, chunk: bytes) -> Iterator[bytes]:
        """Add a chunk; yield each full part that is surely not the last one."""
        self._crc = google_crc32c.extend(self._crc, chunk)
        self.total += len(chunk)
        self._buffer += chunk
        # A full part is only sent once a byte beyond it is known: then it is not the last,
        # and a body of exactly one part stays a single PutObject.
        while len(self._buffer) > self.part_size:
            part = bytes(memoryview(self._buffer)[:self.part_size])
            del self._buffer[:self.part_size]
            yield part

    def rest(self) -> bytes:
        """Everything not yet taken: the last part (or the whole of a small body)."""
        data = bytes(self._buffer)
        self._buffer = bytearray()
        return data
