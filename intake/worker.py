"""The intake worker: turns stored emails into cases, one message per transaction.

Claiming a message, making its case and marking it processed happen in one transaction, so a crash
at any point leaves the message either untouched (processed again on restart) or done — never both, never
neither. A message that cannot be parsed goes straight to quarantine with its error; one that fails for
another reason is retried and quarantined after `store.mailbox.MAX_ATTEMPTS` tries.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from intake.mime import UnparseableMail
from intake.processing import MailProcessor, describe
from store.db import transaction
from store.mailbox import claim_next, mark_processed, record_failure

log = logging.getLogger(__name__)


class MailWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        processor: MailProcessor,
        on_processed: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.processor = processor
        self.wake = threading.Event()
        # Called after a pass that committed something (the classification worker's wake-up).
        self.on_processed = on_processed

    def run_once(self) -> bool:
        """Process the oldest waiting message; False when there is none."""
        with transaction(self.sessions) as session:
            inbound = claim_next(session)
            if inbound is None:
                return False
            try:
                with session.begin_nested():
                    outcome = self.processor.process(session, inbound)
                mark_processed(inbound, case_id=outcome.case_id, status=outcome.status)
                log.info("%s: %s (%s)", describe(inbound), outcome.status, outcome.detail)
            except UnparseableMail as error:
                record_failure(session, inbound.id, f"unparseable: {error}", permanent=True)
                log.warning("%s quarantined: unparseable", describe(inbound))
            except Exception as error:
                # The savepoint undid the half-made case; the claim and this count still commit.
                record_failure(session, inbound.id, f"{type(error).__name__}: {error}", permanent=False)
                log.exception("%s failed", describe(inbound))
        return True

    def drain(self) -> int:
        """Process every waiting message; how many were handled."""
        handled = 0
        while self.run_once():
            handled += 1
        if handled and self.on_processed is not None:
            self.on_processed()
        return handled

    def run(self, stop: threading.Event, *, poll_seconds: float = 5.0) -> None:
        """Work until `stop` is set: drain, then sleep until woken by the listener or the poll interval."""
        while not stop.is_set():
            try:
                self.drain()
            except Exception:
                # The store is unreachable: messages stay safely queued; try again after the interval.
                log.exception("intake worker could not reach the store")
            self.wake.wait(poll_seconds)
            self.wake.clear()
