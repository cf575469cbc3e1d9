"""From a stored email to a case: thread it onto an existing case or open a new one, and answer a person.

Called by the worker inside the transaction that marks the message processed, so each email becomes a
case or a threaded message exactly once. Replies are found by our Message-IDs in In-Reply-To/References
or a reference quoted in the subject; a new subject from the same person is a new case. Robots are never
answered: their mail is kept, threaded where it belongs, and otherwise set aside for staff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import CouncilSettings, MailSettings
from intake.mime import Attachment, ParsedMail, parse_mail
from intake.replies import AckFacts, acknowledgement, owner_notification
from store import audit
from store.access import find_case
from store.actors import Actor
from store.contacts import ContactDetails
from store.models import Case, InboundMail, Message, StoredAttachment
from store.outbox import Outgoing, case_for_message_ids, enqueue, is_ours, sent_recently
from store.references import find_reference
from store.service import CaseService, NewCase

log = logging.getLogger(__name__)
EMAIL = Actor.channel("email")
NO_TEXT = "(The email had no text; see its attachments or original.)"


@dataclass(frozen=True)
class Outcome:
    status: str  # "processed", or "ignored" for robot mail that belongs to no case
    case_id: int | None
    detail: str = ""


@dataclass(frozen=True)
class MailProcessor:
    service: CaseService
    mail: MailSettings
    council: CouncilSettings
    public_url: str

    def process(self, session: Session, inbound: InboundMail) -> Outcome:
        parsed = parse_mail(inbound.raw, envelope_sender=inbound.envelope_sender)
        if is_ours(session, parsed.message_id):
            return Outcome("ignored", None, "our own outbound mail came back")
        case = self._thread(session, parsed)
        if case is not None:
            self._add_to_case(session, case, parsed, inbound)
            return Outcome("processed", case.id, "threaded")
        if parsed.from_robot:
            return Outcome("ignored", None, "automatic mail for no case: " + "; ".join(parsed.robot_reasons))
        case = self._open_case(session, parsed, inbound)
        return Outcome("processed", case.id, "new case")

    def _thread(self, session: Session, parsed: ParsedMail) -> Case | None:
        """The case this email continues: by our Message-IDs first, then by a reference in the subject."""
        quoted = [mid for mid in (parsed.in_reply_to, *parsed.references) if mid]
        case_id = case_for_message_ids(session, quoted)
        if case_id is None and quoted:
            case_id = session.scalars(select(Message.case_id).where(Message.message_id.in_(quoted))).first()
        if case_id is not None:
            return session.get(Case, case_id)
        reference = find_reference(parsed.subject)
        return find_case(session, reference) if reference else None

    def _add_to_case(self, session: Session, case: Case, parsed: ParsedMail, inbound: InboundMail) -> None:
        was_closed = case.status == "closed"
        message = self.service.add_message(
            session,
            case,
            EMAIL,
            direction="in",
            channel="email",
            body=parsed.visible_text or parsed.subject or NO_TEXT,
            author=parsed.sender_address,
            subject=parsed.subject,
            message_id=parsed.message_id,
            inbound_mail_id=inbound.id,
        )
        self._keep_attachments(session, message, parsed.attachments)
        stranger = parsed.sender_address is not None and (
            case.contact is None or case.contact.email != parsed.sender_address
        )
        if stranger:
            # Someone other than the complainant quoted the reference: record it, but have the CRT look.
            case.needs_review = True
            audit.record(session, EMAIL, "message.from_other_sender", case.id)
        what = (
            "A reply arrived on this closed case; it may be a request to escalate. Please review it."
            if was_closed
            else "A new email arrived on this case."
        )
        self._notify_owner(session, case, message, what)

    def _open_case(self, session: Session, parsed: ParsedMail, inbound: InboundMail) -> Case:
        contact = (
            ContactDetails(name=parsed.sender_name, email=parsed.sender_address) if parsed.sender_address else None
        )
        new = NewCase(
            channel="email",
            text=parsed.visible_text or parsed.subject or NO_TEXT,
            subject=parsed.subject or None,
            contact=contact,
            received_at=inbound.received_at,
            message_id=parsed.message_id,
            inbound_mail_id=inbound.id,
        )
        case = self.service.open_case(session, new, EMAIL)
        first = session.scalars(select(Message).where(Message.case_id == case.id)).one()
        self._keep_attachments(session, first, parsed.attachments)
        if parsed.sender_address:
            self._acknowledge(session, case, parsed)
        return case

    def _acknowledge(self, session: Session, case: Case, parsed: ParsedMail) -> None:
        assert parsed.sender_address is not None
        now = self.service.now()
        recent = sent_recently(
            session, to_address=parsed.sender_address, kind="acknowledgement", since=now - timedelta(hours=1)
        )
        if recent >= self.mail.acknowledgements_per_hour:
            audit.record(session, EMAIL, "acknowledgement.suppressed", case.id, reason="hourly limit")
            return
        facts = AckFacts(
            reference=case.reference,
            case_type=case.type,
            procedure=case.procedure,
            stage=case.stage,
            due_on=case.due_on,
            contact_name=parsed.sender_name,
        )
        rendered = acknowledgement(facts, council=self.council, policy=self.service.policy, public_url=self.public_url)
        headers = {"Auto-Submitted": "auto-replied"}
        if parsed.message_id:
            headers |= {"In-Reply-To": parsed.message_id, "References": parsed.message_id}
        outgoing = Outgoing(
            kind="acknowledgement",
            to_address=parsed.sender_address,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            dedupe_key=f"acknowledgement:{case.id}",
            case_id=case.id,
            headers=headers,
        )
        self._enqueue(session, outgoing, now)
        audit.record(session, EMAIL, "acknowledgement.queued", case.id)

    def _notify_owner(self, session: Session, case: Case, message: Message, what: str) -> None:
        address = case.assigned_staff.email if case.assigned_staff else case.owner_team.email
        rendered = owner_notification(
            reference=case.reference,
            team_name=case.owner_team.name,
            stage=case.stage,
            due_on=case.due_on,
            public_url=self.public_url,
            what=what,
        )
        outgoing = rendered.to_staff(
            kind="notification", to_address=address, dedupe_key=f"notification:message:{message.id}", case_id=case.id
        )
        self._enqueue(session, outgoing, self.service.now())

    def _enqueue(self, session: Session, outgoing: Outgoing, now: datetime) -> None:
        enqueue(session, outgoing, message_id_domain=self.mail.message_id_domain, at=now)

    def _keep_attachments(self, session: Session, message: Message, attachments: tuple[Attachment, ...]) -> None:
        limits = self.mail.attachments
        for attachment in attachments:
            refused = None
            if attachment.size > limits.max_bytes:
                refused = f"larger than {limits.max_bytes} bytes"
            elif attachment.content_type in limits.refused_types or attachment.filename.lower().endswith(
                limits.refused_extensions
            ):
                refused = "a type that could run as a program"
            session.add(
                StoredAttachment(
                    message_id=message.id,
                    filename=attachment.filename,
                    content_type=attachment.content_type[:120],
                    size=attachment.size,
                    data=None if refused else attachment.data,
                    refused_because=refused,
                )
            )


def describe(inbound: InboundMail) -> str:
    """One line for logs and listings: never the sender's address or the body."""
    return f"inbound mail {inbound.id} ({inbound.size} bytes, received {inbound.received_at:%Y-%m-%d %H:%M})"
