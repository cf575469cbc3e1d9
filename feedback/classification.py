"""The classification worker: suggestions, urgent routing and the area for every new case, after intake.

Intake never waits for a model. A case is committed (and an email acknowledged) with `classified_at` empty;
this worker picks such cases up in batches, stores the three suggestions with the model version, applies
the safeguarding rule (urgent, straight to Children's Initial Response, the team alerted by email) and
notes the area the text names. A case is marked classified in the same transaction as its suggestions, so
a crash loses nothing and repeats nothing: the next run finds the case still waiting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.rules import Gazetteer, SafeguardingRule
from feedback.settings import Settings
from intake.replies import owner_notification
from store import audit
from store.actors import Actor
from store.db import transaction
from store.models import Case, Message
from store.outbox import enqueue
from store.review import Suggested, record_suggestions
from store.service import CaseService

if TYPE_CHECKING:
    from classifiers.suggester import Suggester
    from feedback.application import Application

log = logging.getLogger(__name__)
CLASSIFIER = Actor.system("classifier")
BATCH_SIZE = 32
URGENT_NOTICE = "URGENT: a child may be at risk of harm. This case was sent to your team at once: read it now."


def case_text(session: Session, case: Case) -> str:
    """What the models read: the subject and text of the case's first inbound message."""
    first = session.scalar(
        select(Message).where(Message.case_id == case.id, Message.direction == "in").order_by(Message.id).limit(1)
    )
    if first is None:
        return ""
    return f"{first.subject}\n{first.body}" if first.subject else first.body


class ClassificationWorker:
    """Runs beside intake (in `feedback serve`, or alone as `feedback classify`).

    It sleeps on the application's `cases_waiting` event, which the API and the email worker set after
    committing a new case, and looks anyway every `classifiers.poll_seconds` (for cases other processes made).
    """

    def __init__(self, app: Application, *, batch_size: int = BATCH_SIZE) -> None:
        self.settings: Settings = app.settings
        self.sessions = app.sessions
        self.service: CaseService = app.service
        self.wake = app.cases_waiting
        self.batch_size = batch_size
        config = self.settings.classifiers
        self.rule = SafeguardingRule(config.safeguarding.phrases)
        self.gazetteer = Gazetteer(config.areas)
        self._models_missing_logged = False

    def run(self, stop: threading.Event) -> None:
        """Classify until `stop` is set; sleep when there is nothing to do, or the models are not built."""
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:
                log.exception("classification failed; the cases stay waiting and are tried again")
                done = 0
            if done == 0:
                self.wake.wait(self.settings.classifiers.poll_seconds)
                self.wake.clear()

    def drain(self) -> int:
        """Classify every waiting case (for commands and tests); returns how many."""
        total = 0
        while done := self.run_once():
            total += done
        return total

    def load_models(self) -> Suggester:
        """The loaded models (once per process); raises ModelsNotBuilt saying how to build them."""
        from classifiers.suggester import get_suggester

        config = self.settings.classifiers
        return get_suggester(config.models_dir, config.thresholds)

    def run_once(self) -> int:
        """One batch in one transaction; returns the number of cases classified (0: none waiting or no models)."""
        from classifiers.suggester import ModelsNotBuilt

        try:
            suggester = self.load_models()
        except ModelsNotBuilt as error:
            if not self._models_missing_logged:
                log.error("%s; new cases wait unclassified until the models are built", error)
                self._models_missing_logged = True
            return 0
        with transaction(self.sessions) as session:
            cases = self._claim(session)
            if not cases:
                return 0
            texts = [case_text(session, case) for case in cases]
            for case, text, suggestion in zip(cases, texts, suggester.suggest_many(texts), strict=True):
                suggested = [
                    Suggested(head=head, label=s.label, score=s.score, needs_review=s.needs_review)
                    for head, s in suggestion.heads().items()
                ]
                record_suggestions(session, case, CLASSIFIER, suggested, model_version=suggestion.model_version)
                self._apply_rules(session, case, text)
                case.classified_at = self.service.now()
            return len(cases)

    def _claim(self, session: Session) -> Sequence[Case]:
        # SKIP LOCKED lets several workers share the queue on PostgreSQL; SQLite ignores it (one writer).
        query = (
            select(Case)
            .where(Case.classified_at.is_(None))
            .order_by(Case.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True, of=Case)
        )
        return session.scalars(query).unique().all()

    def _apply_rules(self, session: Session, case: Case, text: str) -> None:
        case.area_team_id = self.gazetteer.area_for(text)
        phrases = self.rule.matches(text)
        if not phrases and not case.urgent:
            return
        reason = (
            f"safeguarding phrases: {', '.join(phrases)}" if phrases else "opened as urgent (a child may be at risk)"
        )
        route_to = self.settings.classifiers.safeguarding.route_to
        self.service.route_urgently(session, case, CLASSIFIER, service=route_to, reason=reason)
        self._alert_owner(session, case)

    def _alert_owner(self, session: Session, case: Case) -> None:
        """Email the owning team (never the citizen, never the text) that an urgent case is theirs."""
        session.flush()
        session.refresh(case, ["owner_team"])
        rendered = owner_notification(
            reference=case.reference,
            team_name=case.owner_team.name,
            stage=case.stage,
            due_on=case.due_on,
            public_url=self.settings.web.public_url,
            what=URGENT_NOTICE,
        )
        outgoing = rendered.to_staff(
            kind="urgent",
            to_address=case.owner_team.email,
            dedupe_key=f"urgent:case:{case.id}",
            case_id=case.id,
            urgent=True,
        )
        if enqueue(session, outgoing, message_id_domain=self.settings.mail.message_id_domain, at=self.service.now()):
            audit.record(session, CLASSIFIER, "urgent.alert_queued", case.id, team=case.owner_team_id)
