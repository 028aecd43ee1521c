"""The SQL UploadRepository: every method one short transaction, transitions conditional."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement, Select

from gateway.db.engine import read_transaction, write_transaction
from gateway.db.hot_reads import HotConnections, HotQuery, fetch_one, from_json
from gateway.db.rows import decoded_upload, file_row, to_file, to_upload, upload_row
from gateway.db.tables import files, upload_parts, uploads
from gateway.uploads.model import FileRecord, PartRecord, Upload, filename_digest
from gateway.uploads.ports import FileFilter, Page, ResumeSlotTaken
from gateway.uploads.state import UploadState

_IN_PROGRESS = UploadState.IN_PROGRESS.value
_PART_BATCH = 1000
_PARTS_COLUMN = "checkpointed_parts"
# The hot reads, built once: building a statement costs more than running it on SQLite.
_GET_UPLOAD = select(uploads).where(uploads.c.id == bindparam("upload_id"),
                                    uploads.c.tenant_id == bindparam("tenant_id"))
_PART_COLUMNS = (upload_parts.c.part_number, upload_parts.c.part_token, upload_parts.c.size,
                 upload_parts.c.crc32c)
_GET_PARTS = (select(*_PART_COLUMNS).where(upload_parts.c.upload_id == bindparam("upload_id"))
              .order_by(upload_parts.c.part_number))


def _get_upload_with_parts(dialect: str) -> Select[Any]:
    """The upload row plus its parts as one JSON array column: one round trip, one snapshot.

    PostgreSQL's driver decodes json itself; SQLite returns the array as text. Neither
    aggregate promises an order, so the caller sorts.
    """
    if dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_array(*_PART_COLUMNS))
    else:
        aggregate = func.json_group_array(func.json_array(*_PART_COLUMNS))
    parts = (select(aggregate).where(upload_parts.c.upload_id == uploads.c.id)
             .scalar_subquery().label(_PARTS_COLUMN))
    return _GET_UPLOAD.add_columns(parts)


class SqlUploadRepository:
    """UploadRepository on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._hot = HotConnections(engine)
        self._hot_upload = HotQuery(engine, _GET_UPLOAD)
        self._hot_upload_with_parts = HotQuery(engine, _get_upload_with_parts(self._dialect))

    def add_upload(self, upload: Upload, *, claim_resume_slot: bool) -> None:
        """Insert the upload; a held resume slot raises ResumeSlotTaken."""
        row = upload_row(upload)
        row["resume_key"] = row["filename_digest"] if claim_resume_slot else None
        try:
            with write_transaction(self._engine) as conn:
                conn.execute(insert(uploads).values(**row))
        except IntegrityError as exc:
            if claim_resume_slot:
                raise ResumeSlotTaken(upload.filename) from exc
            raise

    def get_upload(self, tenant_id: str, upload_id: str) -> Upload | None:
        """The tenant's upload or None."""
        keys = {"upload_id": upload_id, "tenant_id": tenant_id}
        row = self._hot.run(lambda cursor: fetch_one(cursor, self._hot_upload, keys))
        return None if row is None else to_upload(decoded_upload(row))

    def get_upload_with_parts(self, tenant_id: str, upload_id: str
                              ) -> tuple[Upload, list[PartRecord]] | None:
        """The tenant's upload and its checkpointed parts, read by one statement."""
        keys = {"upload_id": upload_id, "tenant_id": tenant_id}
        query = self._hot_upload_with_parts
        row = self._hot.run(lambda cursor: fetch_one(cursor, query, keys))
        if row is None:
            return None
        found = from_json(row.pop(_PARTS_COLUMN)) or []  # PostgreSQL: NULL when none
        parts = [_part(*columns) for columns in sorted(found)]
        return to_upload(decoded_upload(row)), parts

    def find_resumable(self, tenant_id: str, filename: str) -> Upload | None:
        """The slot owner if any, else the newest in-progress upload of that filename."""
        digest = filename_digest(filename)
        base = select(uploads).where(
            uploads.c.tenant_id == tenant_id, uploads.c.status == _IN_PROGRESS,
            uploads.c.filename == filename,
        )
        owner = base.where(uploads.c.resume_key == digest)
        newest = base.where(uploads.c.filename_digest == digest).order_by(
            uploads.c.created_at.desc(), uploads.c.id.desc()).limit(1)
        with read_transaction(self._engine) as conn:
            row = conn.execute(owner).mappings().first() or conn.execute(newest).mappings().first()
        return None if row is None else to_upload(row)

    def claim_resume_slot(self, upload: Upload) -> bool:
        """Give the filename's resume slot to this in-progress upload, if nobody holds it."""
        statement = update(uploads).where(
            uploads.c.id == upload.id, uploads.c.status == _IN_PROGRESS,
            uploads.c.resume_key.is_(None),
        ).values(resume_key=filename_digest(upload.filename))
        try:
            with write_transaction(self._engine) as conn:
                return conn.execute(statement).rowcount == 1
        except IntegrityError:
            return False

    def list_uploads(
        self, tenant_id: str, status: UploadState | None, limit: int, after: Page | None
    ) -> list[Upload]:
        """Newest first."""
        query = select(uploads).where(uploads.c.tenant_id == tenant_id)
        if status is not None:
            query = query.where(uploads.c.status == status.value)
        query = _page(query, uploads.c.created_at, uploads.c.id, after, limit)
        with read_transaction(self._engine) as conn:
            return [to_upload(row) for row in conn.execute(query).mappings()]

    def get_parts(self, upload_id: str) -> list[PartRecord]:
        """Checkpointed parts, ascending."""
        with read_transaction(self._engine) as conn:
            return [_part(*columns)
                    for columns in conn.execute(_GET_PARTS, {"upload_id": upload_id})]

    def save_parts(
        self, upload_id: str, parts: Sequence[PartRecord], now: datetime, expires_at: datetime
    ) -> bool:
        """Upsert the tokens while the upload is in progress (its row lock orders writers)."""
        with write_transaction(self._engine) as conn:
            if not self._touch(conn, upload_id, now, expires_at):
                return False
            for start in range(0, len(parts), _PART_BATCH):
                batch = parts[start:start + _PART_BATCH]
                conn.execute(self._upsert_parts([
                    {"upload_id": upload_id, "part_number": p.part_number,
                     "part_token": p.part_token, "size": p.size, "crc32c": p.crc32c,
                     "checkpointed_at": now}
                    for p in batch
                ]))
        return True

    def delete_part(self, upload_id: str, part_number: int, now: datetime,
                    expires_at: datetime) -> bool:
        """Forget one token while the upload is in progress."""
        with write_transaction(self._engine) as conn:
            if not self._touch(conn, upload_id, now, expires_at):
                return False
            conn.execute(delete(upload_parts).where(
                upload_parts.c.upload_id == upload_id, upload_parts.c.part_number == part_number))
        return True

    def touch(self, upload_id: str, now: datetime, expires_at: datetime) -> bool:
        """Move the idle expiry of an in-progress upload."""
        with write_transaction(self._engine) as conn:
            return self._touch(conn, upload_id, now, expires_at)

    def claim_completion(
        self, upload_id: str, now: datetime, lease_until: datetime, expected_crc32c: int | None
    ) -> bool:
        """Take the right to complete: from in_progress, or from a completer whose lease lapsed."""
        fresh = and_(uploads.c.status == _IN_PROGRESS, uploads.c.expires_at > now)
        lapsed = and_(uploads.c.status == UploadState.COMPLETING.value,
                      uploads.c.lease_until < now)
        values: dict[str, Any] = {"status": UploadState.COMPLETING.value,
                                  "lease_until": lease_until, "updated_at": now,
                                  "resume_key": None}
        if expected_crc32c is not None:
            values["expected_crc32c"] = expected_crc32c
        statement = update(uploads).where(uploads.c.id == upload_id, or_(fresh, lapsed)
                                          ).values(**values)
        with write_transaction(self._engine) as conn:
            return conn.execute(statement).rowcount == 1

    def release_completion(self, upload_id: str, now: datetime) -> bool:
        """Hand a completing upload back to in_progress."""
        statement = update(uploads).where(
            uploads.c.id == upload_id, uploads.c.status == UploadState.COMPLETING.value
        ).values(status=_IN_PROGRESS, lease_until=None, updated_at=now)
        with write_transaction(self._engine) as conn:
            return conn.execute(statement).rowcount == 1

    def finish_completion(self, upload_id: str, file: FileRecord) -> bool:
        """Mark completed and insert the file, or do nothing if someone else finished first."""
        statement = update(uploads).where(
            uploads.c.id == upload_id, uploads.c.status == UploadState.COMPLETING.value
        ).values(status=UploadState.COMPLETED.value, lease_until=None, store_open=False,
                 updated_at=file.created_at)
        with write_transaction(self._engine) as conn:
            if conn.execute(statement).rowcount != 1:
                return False
            conn.execute(insert(files).values(**file_row(file)))
        return True

    def set_status(
        self, upload_id: str, expected: Sequence[UploadState], status: UploadState,
        now: datetime, *, failure_reason: str | None = None,
    ) -> bool:
        """Conditional status change; leaving in_progress frees the resume slot."""
        values: dict[str, Any] = {"status": status.value, "updated_at": now,
                                  "lease_until": None}
        if status is not UploadState.IN_PROGRESS:
            values["resume_key"] = None
        if failure_reason is not None:
            values["failure_reason"] = failure_reason
        statement = update(uploads).where(
            uploads.c.id == upload_id, uploads.c.status.in_([s.value for s in expected])
        ).values(**values)
        with write_transaction(self._engine) as conn:
            return conn.execute(statement).rowcount == 1

    def set_store_closed(self, upload_id: str) -> None:
        """The store's multipart upload is gone."""
        with write_transaction(self._engine) as conn:
            conn.execute(update(uploads).where(uploads.c.id == upload_id).values(store_open=False))

    def uploads_to_expire(self, now: datetime, limit: int) -> list[Upload]:
        """Idle in-progress uploads, and ended ones whose store upload is still open."""
        query = select(uploads).where(or_(
            and_(uploads.c.status == _IN_PROGRESS, uploads.c.expires_at <= now),
            and_(uploads.c.status.in_([UploadState.ABORTED.value, UploadState.FAILED.value,
                                       UploadState.EXPIRED.value]),
                 uploads.c.store_open.is_(True)),
        )).order_by(uploads.c.expires_at).limit(limit)
        with read_transaction(self._engine) as conn:
            return [to_upload(row) for row in conn.execute(query).mappings()]

    def get_file(self, tenant_id: str, file_id: str) -> FileRecord | None:
        """The tenant's file or None."""
        query = select(files).where(files.c.id == file_id, files.c.tenant_id == tenant_id)
        with read_transaction(self._engine) as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else to_file(row)

    def add_file(self, file: FileRecord) -> None:
        """Insert a file record."""
        with write_transaction(self._engine) as conn:
            conn.execute(insert(files).values(**file_row(file)))

    def list_files(
        self, tenant_id: str, limit: int, after: Page | None, filters: FileFilter
    ) -> list[FileRecord]:
        """Newest first, filtered."""
        query = select(files).where(files.c.tenant_id == tenant_id)
        if filters.filename_prefix:
            query = query.where(func.substr(files.c.filename, 1, len(filters.filename_prefix))
                                == filters.filename_prefix)
        if filters.content_type:
            query = query.where(files.c.content_type == filters.content_type)
        if filters.created_before:
            query = query.where(files.c.created_at < filters.created_before)
        if filters.created_after:
            query = query.where(files.c.created_at > filters.created_after)
        query = _page(query, files.c.created_at, files.c.id, after, limit)
        with read_transaction(self._engine) as conn:
            return [to_file(row) for row in conn.execute(query).mappings()]

    def delete_file(self, tenant_id: str, file_id: str) -> bool:
        """Delete the record."""
        with write_transaction(self._engine) as conn:
            result = conn.execute(delete(files).where(files.c.id == file_id,
                                                      files.c.tenant_id == tenant_id))
            return result.rowcount == 1

    def ping(self) -> None:
        """SELECT 1."""
        with read_transaction(self._engine) as conn:
            conn.execute(text("SELECT 1"))

    def _touch(self, conn: Any, upload_id: str, now: datetime, expires_at: datetime) -> bool:
        statement = update(uploads).where(
            uploads.c.id == upload_id, uploads.c.status == _IN_PROGRESS, uploads.c.expires_at > now
        ).values(updated_at=now, expires_at=expires_at)
        return bool(conn.execute(statement).rowcount == 1)

    def _upsert_parts(self, rows: list[dict[str, Any]]) -> Any:
        dialect_insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(upload_parts).values(rows)
        return statement.on_conflict_do_update(
            index_elements=[upload_parts.c.upload_id, upload_parts.c.part_number],
            set_={"part_token": statement.excluded.part_token, "size": statement.excluded.size,
                  "crc32c": statement.excluded.crc32c,
                  "checkpointed_at": statement.excluded.checkpointed_at},
        )


def _part(number: Any, token: Any, size: Any, crc32c: Any) -> PartRecord:
    """A part from its columns (as a row or a JSON array gives them)."""
    return PartRecord(int(number), str(token), int(size), None if crc32c is None else int(crc32c))


def _page(query: Any, created: Any, ident: Any, after: Page | None, limit: int) -> Any:
    if after is not None:
        older: ColumnElement[bool] = or_(
            created < after.created_at, and_(created == after.created_at, ident < after.id))
        query = query.where(older)
    return query.order_by(created.desc(), ident.desc()).limit(limit)
