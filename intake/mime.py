"""Understanding one email: headers, the text a person wrote, attachments, and whether a robot sent it.

Pure functions over the raw bytes, parsed with the standard library's modern policy. The full body is kept
for staff; `visible_text` drops quoted earlier replies, signatures and "Sent from my phone" lines, which is
what the classifier and the case list should read. Attachments are only measured and kept as bytes: never
opened, rendered or executed.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from inscriptis import get_text
from mailparser_reply import EmailReplyParser

# Languages whose reply headers ("On … wrote:") and signatures the reply parser recognises.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "pt", "sv"]
ROBOT_LOCAL_PARTS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+\-.].*)?$", re.I)
ROBOT_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply"})
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_HEADER_CHARS = 998


class UnparseableMail(ValueError):
    """The bytes are not an email we can read at all (kept whole in quarantine by the caller)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender_address: str | None
    sender_name: str | None
    sent_at: datetime | None
    body: str
    visible_text: str
    attachments: tuple[Attachment, ...]
    robot_reasons: tuple[str, ...]
    defects: tuple[str, ...]

    @property
    def from_robot(self) -> bool:
        return bool(self.robot_reasons)


def parse_mail(raw: bytes, *, envelope_sender: str | None = None) -> ParsedMail:
    """Everything the intake needs from one message; UnparseableMail if it has no readable structure."""
    if not raw.strip():
        raise UnparseableMail("the message is empty")
    try:
        message = BytesParser(policy=email.policy.default).parsebytes(raw)
    except Exception as error:  # the parser is lenient; anything it still raises means unreadable bytes
        raise UnparseableMail(f"cannot parse the message: {error}") from error
    assert isinstance(message, EmailMessage)
    if not message.keys():
        raise UnparseableMail("the message has no headers")
    name, address = _sender(message)
    body, attachments = _body_and_attachments(message)
    return ParsedMail(
        message_id=_first_message_id(_header(message, "Message-ID")),
        in_reply_to=_first_message_id(_header(message, "In-Reply-To")),
        references=tuple(MESSAGE_ID.findall(_header(message, "References"))),
        subject=_header(message, "Subject").strip()[:MAX_HEADER_CHARS],
        sender_address=address,
        sender_name=name,
        sent_at=_sent_at(message),
        body=body,
        visible_text=visible_text(body),
        attachments=tuple(attachments),
        robot_reasons=tuple(robot_reasons(message, address, envelope_sender)),
        defects=tuple(sorted({type(defect).__name__ for part in message.walk() for defect in part.defects})),
    )


def visible_text(body: str) -> str:
    """The newest part of a message, without quoted replies or signatures; the whole body if that is empty."""
    try:
        reply = EmailReplyParser(languages=REPLY_LANGUAGES).read(body).replies
    except Exception:  # a reply-parser failure must never lose the message: fall back to the full text
        return body.strip()
    newest = reply[0].body.strip() if reply else ""
    return newest or body.strip()


def robot_reasons(message: EmailMessage, sender: str | None, envelope_sender: str | None) -> list[str]:
    """Why this message must not be auto-answered (RFC 3834 and common practice); empty for a person."""
    reasons = []
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        reasons.append(f"Auto-Submitted: {auto_submitted[:40]}")
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in ROBOT_PRECEDENCE:
        reasons.append(f"Precedence: {precedence}")
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        reasons.append("mailing list")
    if any(_header(message, name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")):
        reasons.append("auto-responder header")
    if envelope_sender is not None and envelope_sender.strip("<> ") == "":
        reasons.append("empty return path")
    for address in (sender, envelope_sender):
        if address and ROBOT_LOCAL_PARTS.match(address.split("@", 1)[0]):
            reasons.append(f"robot sender {address.split('@', 1)[0][:40]}")
            break
    if message.get_content_type() == "multipart/report":
        reasons.append("delivery report")
    return reasons


def _header(message: EmailMessage, name: str) -> str:
    # A malformed header can raise while being decoded; treat it as absent rather than fail the message.
    try:
        value = message.get(name)
    except Exception:
        return ""
    return str(value) if value is not None else ""


def _first_message_id(value: str) -> str | None:
    found = MESSAGE_ID.search(value)
    return found.group(0)[:MAX_HEADER_CHARS] if found else None


def _sender(message: EmailMessage) -> tuple[str | None, str | None]:
    try:
        header = message.get("From")
        addresses: list[Address] = list(getattr(header, "addresses", ()))
    except Exception:
        addresses = []
    if addresses and addresses[0].addr_spec and "@" in addresses[0].addr_spec:
        return addresses[0].display_name or None, addresses[0].addr_spec.lower()
    # Fall back to the lenient parser for From headers the strict one gives up on.
    parsed = getaddresses([_header(message, "From")])
    if parsed and "@" in parsed[0][1]:
        return parsed[0][0] or None, parsed[0][1].lower()
    return None, None


def _sent_at(message: EmailMessage) -> datetime | None:
    try:
        value = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo is not None else None


def _body_and_attachments(message: EmailMessage) -> tuple[str, list[Attachment]]:
    text_part = _body_part(message, "plain")
    html_part = _body_part(message, "html")
    body = ""
    if text_part is not None:
        body = _decoded_text(text_part)
    if not body.strip() and html_part is not None:
        body = get_text(_decoded_text(html_part))
    attachments = [
        _attachment(part) for part in message.walk() if _is_attachment(part) and part not in (text_part, html_part)
    ]
    return _tidy(body), attachments


def _body_part(message: EmailMessage, subtype: str) -> MIMEPart | None:
    try:
        part = message.get_body(preferencelist=(subtype,))
    except Exception:
        return None
    return part if isinstance(part, MIMEPart) else None


def _decoded_text(part: MIMEPart) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    for encoding in (charset, "utf-8", "windows-1252"):
        try:
            return payload.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")  # never fails: every byte is a character


def _is_attachment(part: MIMEPart) -> bool:
    if part.is_multipart():
        return False
    disposition = part.get_content_disposition()
    return disposition in ("attachment", "inline") or part.get_content_maintype() not in ("text", "multipart")


def _attachment(part: MIMEPart) -> Attachment:
    payload = part.get_payload(decode=True)
    return Attachment(
        filename=_safe_filename(part.get_filename() or ""),
        content_type=part.get_content_type(),
        data=payload if isinstance(payload, bytes) else b"",
        inline=part.get_content_disposition() == "inline",
    )


def _safe_filename(name: str) -> str:
    """A name to show staff, never a path: no directories, control characters or leading dots."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = re.sub(r"[\x00-\x1f\x7f]", "", base).lstrip(".").strip()
    return cleaned[:200] or "attachment"


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return re.sub(r"\n{3,}", "\n\n", text).strip()
