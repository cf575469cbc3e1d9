"""Engines and transactions for the embedded SQLite store and for PostgreSQL.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so the API, the SMTP listener and the
scheduler can share one file; PostgreSQL is the shared store for several instances.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for `url`; for SQLite, create the file's directory and set the pragmas on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    writers = _WriterQueue()
    event.listen(engine, "begin", writers.begin)
    event.listen(engine, "commit", writers.end)
    event.listen(engine, "rollback", writers.end)
    event.listen(engine.pool, "reset", lambda *_: writers.release())
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _WriterQueue:
    """One SQLite transaction at a time per process, queued on a lock rather than on SQLite's busy handler.

    Transactions BEGIN IMMEDIATE (take the write lock at once): a deferred one that later writes can fail
    with "database is locked" without waiting. Threads that find the file locked would poll it with
    SQLite's back-off, up to 100 ms between tries, so under load a few waited a second while others went
    ahead; queuing them on a lock wakes each the moment the one before commits. The lock is only a
    courtesy between threads of one process (other processes still meet SQLite's own lock), so a thread
    that cannot get it within the busy timeout goes on and lets SQLite decide, rather than hang.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None

    def begin(self, connection: Any) -> None:
        if self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            self._holder = threading.get_ident()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release()
            raise

    def end(self, _connection: Any) -> None:
        self.release()

    def release(self) -> None:
        if self._holder == threading.get_ident():
            self._holder = None
            self._lock.release()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed if the block finishes, rolled back if it raises."""
    with sessions() as session, session.begin():
        yield session
