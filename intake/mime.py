"""Understanding one email: headers, the text a person wrote, attachments, and whether a robot sent it.

Pure functions over the raw bytes, parsed with the standard library's modern policy. The full body is kept
for staff; `visible_text` drops quoted earlier replies, signatures and "Sent from my phone" lines, which is
what the classifier and the case list should read. Attachments are only measured and kept as bytes: never
opened, rendered or executed.
"""

from __future__ import annotations

import email.policy
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from inscriptis import get_text
from mailparser_reply.constants import GENERIC_MAIL_SEPARATOR, MAIL_LANGUAGES

# Languages whose reply headers ("On … wrote:") and signatures the reply parser recognises.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "pt", "sv"]
ROBOT_LOCAL_PARTS = re.compile(
    r"^(mailer-daemon|postmaster|no[-_]?reply|do[-_]?not[-_]?reply|bounces?)([+\-_.].*)?$", re.IGNORECASE
)
ROBOT_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply"})
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_HEADER_CHARS = 998
# `visible_text` reads only the start of a long body: the newest reply is at the top, and the reply-header
# patterns are slow on long lines, so lines longer than MAX_REPLY_HEADER_LINE are never taken for headers.
MAX_VISIBLE_SOURCE = 100_000
MAX_REPLY_HEADER_LINE = 300
MAX_FORWARDS = 10
FORWARD_MARKER = re.compile(
    r"^(?:-{2,} ?(?:Forwarded message|Weitergeleitete Nachricht|Message transf[ée]r[ée]|Mensaje reenviado"
    r"|Messaggio inoltrato|Wiadomo[śs][ćc] przekazana dalej|Doorgestuurd bericht) ?-{2,}|Begin forwarded message:)$",
    re.MULTILINE | re.IGNORECASE,
)
# Where a signature starts: the "-- " delimiter (stripped to "--"), an Outlook rule, a phone's "Sent from my
# iPhone", a legal disclaimer, or a sign-off line followed by nothing longer than a name.
SIGNATURE_DELIMITER = re.compile(r"^(?:--|—|_{10,})$")
SENT_FROM = re.compile(
    r"^(?:sent from (?:my|outlook|mail|yahoo)|get outlook for|sent via|sent using|anfonwyd o|wys[łl]ano z"
    r"|gesendet von|envoy[ée] de|enviado desde|inviato da|verzonden (?:vanaf|met))\b.{0,60}$",
    re.IGNORECASE,
)
DISCLAIMER = re.compile(
    r"^(?:\**(?:legal )?disclaimer\b|confidentiality (?:notice|statement)\b"
    r"|this (?:e-?mail|message|communication),? (?:and|including) any (?:attachments?|files)\b"
    r"|the information (?:contained )?in this (?:e-?mail|message)\b)",
    re.IGNORECASE,
)
SIGN_OFF = re.compile(
    r"^(?:(?:kind(?:est)?|best|warm(?:est)?|many) regards|regards|best wishes|(?:many )?thanks(?: again| very much)?"
    r"|thank you(?: very much| again)?|yours (?:sincerely|faithfully|truly)|cheers|diolch(?: yn fawr)?"
    r"|cofion(?: gorau)?|yn gywir|pozdrawiam|z powa[żz]aniem)[\s,.!]*$",
    re.IGNORECASE,
)
SIGNED_NAME_WORDS = 6


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
    try:
        return _read(message, envelope_sender)
    except RecursionError as error:
        raise UnparseableMail("the message's parts are nested too deeply") from error
    except Exception as error:  # a standard-library bug on hostile input must quarantine the message, not crash
        raise UnparseableMail(f"internal error reading the message: {type(error).__name__}: {error}") from error


def _read(message: EmailMessage, envelope_sender: str | None) -> ParsedMail:
    name, address = _sender(message)
    body, attachments = _body_and_attachments(message)
    return ParsedMail(
        message_id=_first_message_id(_header(message, "Message-ID")),
        in_reply_to=_first_message_id(_header(message, "In-Reply-To")),
        references=tuple(MESSAGE_ID.findall(_header(message, "References"))),
        subject=_header(message, "Subject")[:MAX_HEADER_CHARS],
        sender_address=address,
        sender_name=name,
        sent_at=_sent_at(message),
        body=body,
        visible_text=visible_text(body),
        attachments=tuple(attachments),
        robot_reasons=tuple(robot_reasons(message, address, envelope_sender)),
        defects=tuple(sorted({type(defect).__name__ for part in _parts(message) for defect in part.defects})),
    )


def visible_text(body: str) -> str:
    """The newest part of a message, without quoted replies or signatures; the whole body if that is empty.

    A forwarded message is not a quoted reply: it is what the sender wants us to read, so the newest part of
    each forwarded message is kept after the sender's own note.
    """
    text = "\n".join(line.strip() for line in body[:MAX_VISIBLE_SOURCE].splitlines())
    parts = []
    cut = _reply_cut(text)
    for _ in range(MAX_FORWARDS):
        forward = FORWARD_MARKER.search(text, 0, cut)
        if forward is None:
            break
        parts.append(_without_signature(text[: forward.start()]))
        text = _without_leading_header(text[forward.end() :])
        cut = _reply_cut(text)
    parts.append(_without_signature(text[:cut]))
    newest = "\n\n".join(part for part in parts if part)
    return newest or body.strip()


def robot_reasons(message: EmailMessage, sender: str | None, envelope_sender: str | None) -> list[str]:
    """Why this message must not be auto-answered (RFC 3834 and common practice); empty for a person.

    Without an envelope sender (a message re-read from quarantine) the Return-Path header stands in for it.
    """
    reasons = []
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        reasons.append(f"Auto-Submitted: {auto_submitted[:40]}")
    precedence = _header(message, "Precedence").lower()
    if precedence in ROBOT_PRECEDENCE:
        reasons.append(f"Precedence: {precedence}")
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        reasons.append("mailing list")
    # Not X-Auto-Response-Suppress: Exchange puts it on people's mail too (it asks *others* not to answer).
    if any(_header(message, name) for name in ("X-Autoreply", "X-Autorespond")):
        reasons.append("auto-responder header")
    return_path = envelope_sender if envelope_sender is not None else _header(message, "Return-Path") or None
    if return_path is not None and return_path.strip("<> ") == "":
        reasons.append("empty return path")
    for address in (sender, return_path.strip("<> ") if return_path else None):
        if address and ROBOT_LOCAL_PARTS.match(address.split("@", 1)[0]):
            reasons.append(f"robot sender {address.split('@', 1)[0][:40]}")
            break
    if message.get_content_type() == "multipart/report":
        reasons.append("delivery report")
    return reasons


def _reply_header_pattern(languages: list[str]) -> re.Pattern[str]:
    """The reply parser's "On … wrote:", "From:/Sent:/To:" and "-----Original Message-----" patterns."""
    alternatives = [GENERIC_MAIL_SEPARATOR]
    for language in languages:
        syntax = MAIL_LANGUAGES.get(language, {})
        alternatives.append(syntax.get("wrote_header", ""))
        # Its Polish header-block pattern takes a single "Data: …" or "Do: …" line for a header ({1,});
        # every other language asks for two lines, and so do we.
        alternatives.append(syntax.get("from_header", "").replace("){1,}(", "){2,}("))
    if "pl" in languages:  # Gmail in Polish: "pon., 3 mar 2025 o 10:02 Jan Kowalski <jan@…> napisał(a):"
        alternatives.append(r"^(?:> ?)*\S[^\n]{0,100}\d:\d\d[^\n]{0,200}\snapisał(?:\(a\)|a)?:$")
    return re.compile("|".join(f"(?:{pattern})" for pattern in alternatives if pattern), re.MULTILINE | re.IGNORECASE)


REPLY_HEADER = _reply_header_pattern(REPLY_LANGUAGES)
LONG_LINE = re.compile(rf"[^\n]{{{MAX_REPLY_HEADER_LINE},}}")


def _first_reply_header(text: str) -> re.Match[str] | None:
    # Long lines are blanked (same length, so positions hold) before the search: no header line is that long,
    # and the patterns' nested lazy repeats are quadratic in the length of a line.
    shadow = LONG_LINE.sub(lambda line: "x" * len(line.group()), text)
    return REPLY_HEADER.search(shadow)


def _reply_cut(text: str) -> int:
    """Where the first quoted earlier message starts ("On … wrote:", "From: … Sent: …"), or the end."""
    header = _first_reply_header(text)
    return header.start() if header else len(text)


def _without_leading_header(text: str) -> str:
    """A forwarded message without its own From:/Date:/Subject:/To: lines."""
    header = _first_reply_header(text)
    if header is not None and not text[: header.start()].strip():
        return text[header.end() :]
    return text


def _without_signature(text: str) -> str:
    lines = text.strip().split("\n")
    for index, line in enumerate(lines[1:], start=1):
        if SIGNATURE_DELIMITER.match(line) or SENT_FROM.match(line) or DISCLAIMER.match(line):
            return "\n".join(lines[:index]).strip()
        if SIGN_OFF.match(line):
            following = next((later for later in lines[index + 1 :] if later), "")
            if len(following.split()) <= SIGNED_NAME_WORDS or SIGNATURE_DELIMITER.match(following):
                return "\n".join(lines[:index]).strip()
    return "\n".join(lines).strip()


def _header(message: EmailMessage, name: str) -> str:
    # A malformed header can raise while being decoded; treat it as absent rather than fail the message.
    try:
        value = message.get(name)
    except Exception:
        return ""
    return _clean_text(str(value)) if value is not None else ""


def _clean_text(value: str) -> str:
    """Header text fit to store and show: undecoded 8-bit bytes decoded, no control characters, one line."""
    if any("\ud800" <= char <= "\udfff" for char in value):
        try:
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "replace")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("windows-1252", "replace")
    return " ".join("".join(char for char in value if not _is_control(char)).split())


def _is_control(char: str) -> bool:
    # Control characters, stray surrogates and invisible format characters such as the bidi overrides;
    # the zero-width (non-)joiners stay, they are part of Urdu words and emoji sequences.
    return unicodedata.category(char) in ("Cc", "Cs", "Cf") and char not in "\t\n\r\u200c\u200d"


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
        return _clean_text(addresses[0].display_name) or None, _clean_text(addresses[0].addr_spec).lower()
    # Fall back to the lenient parser for From headers the strict one gives up on.
    parsed = getaddresses([_header(message, "From")])
    if parsed and "@" in parsed[0][1]:
        return parsed[0][0] or None, parsed[0][1].lower()
    # A From with a name and no address ("From: Jo Bloggs"): keep the name, there is no one to answer.
    return (_header(message, "From").strip('<>" ') or None), None


def _sent_at(message: EmailMessage) -> datetime | None:
    try:
        value = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return value if value.tzinfo is not None else None


def _body_and_attachments(message: EmailMessage) -> tuple[str, list[Attachment]]:
    """The body a person wrote, and every other part as an attachment.

    Besides the chosen text (or HTML) body, further plain-text parts (Apple Mail splits the text around an
    inline picture) and a multipart whose boundary never appears (its text is left unparsed) join the body.
    Other HTML parts are alternative renderings and are dropped; anything else, including text/calendar and
    attached messages (kept whole, not opened), is an attachment.
    """
    text_part = _body_part(message, "plain")
    html_part = _body_part(message, "html")
    body = ""
    if text_part is not None:
        body = _decoded_text(text_part)
    if not body.strip() and html_part is not None:
        body = get_text(_decoded_text(html_part))
    texts, attachments = [body], []
    for part in _leaves(message):
        if part is text_part or part is html_part:
            continue
        content_type, disposition = part.get_content_type(), _disposition(part)
        if part.get_content_maintype() == "message" or disposition == "attachment" or _filename(part):
            attachments.append(_attachment(part))
        elif content_type == "text/plain" or part.get_content_maintype() == "multipart":
            texts.append(_decoded_text(part))
        elif content_type == "text/html":
            if text_part is None:
                texts.append(get_text(_decoded_text(part)))
        else:
            attachments.append(_attachment(part))
    return _tidy("\n\n".join(text for text in texts if text.strip())), attachments


def _parts(message: EmailMessage) -> Iterator[MIMEPart]:
    """Every part, depth first, without recursion (a hostile message can nest parts very deeply)."""
    stack: list[MIMEPart] = [message]
    while stack:
        part = stack.pop()
        yield part
        # Only a multipart's payload is read here: get_payload() on 8-bit text decodes it with the declared
        # charset and lets a codec's UnicodeError escape (charset="undefined").
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend(reversed([sub for sub in payload if isinstance(sub, MIMEPart)]))


def _leaves(message: EmailMessage) -> Iterator[MIMEPart]:
    """The parts that hold content; an attached message (message/*) is one leaf, not opened."""
    stack: list[MIMEPart] = [message]
    while stack:
        part = stack.pop()
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list) and part.get_content_maintype() != "message":
            stack.extend(reversed([sub for sub in payload if isinstance(sub, MIMEPart)]))
        else:
            yield part


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
    encodings: tuple[str, ...] = (charset, "utf-8", "windows-1252")
    if charset in ("us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso8859-1"):
        # These labels are often wrong: UTF-8 sent as "us-ascii", and Windows-1252 (“ ” £ €) as Latin-1,
        # which browsers read as Windows-1252 too. Windows-1252 decodes every Latin-1 letter the same.
        encodings = ("utf-8", "windows-1252")
    for encoding in encodings:
        try:
            return payload.decode(encoding)
        except (LookupError, UnicodeError, ValueError):  # "undefined" raises UnicodeError itself
            continue
    return payload.decode("latin-1")  # never fails: every byte is a character


def _attachment(part: MIMEPart) -> Attachment:
    if part.get_content_maintype() == "message":
        data = _message_bytes(part)
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    return Attachment(
        filename=_safe_filename(_filename(part)),
        content_type=part.get_content_type(),
        data=data,
        inline=_disposition(part) == "inline",
    )


def _disposition(part: MIMEPart) -> str | None:
    # The email package raises on some RFC 2231 parameters (a charset "undefined", or with a NUL in it).
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _filename(part: MIMEPart) -> str:
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


def _message_bytes(part: MIMEPart) -> bytes:
    """An attached message's own bytes, as it came (compat32 writes its headers back unchanged)."""
    payload = part.get_payload() if part.is_multipart() else None
    try:
        if isinstance(payload, list):
            return b"".join(sub.as_bytes(policy=email.policy.compat32) for sub in payload if isinstance(sub, Message))
        encoded = part.get_payload(decode=True)
        return encoded if isinstance(encoded, bytes) else b""
    except Exception:
        return b""


def _safe_filename(name: str) -> str:
    """A name to show staff, never a path: no directories, control or format characters, or leading dots.

    Format characters include U+202E, which shows "invoice‮fdp.exe" as "invoiceexe.pdf".
    """
    base = re.split(r"[\\/]", _clean_text(name))[-1]
    cleaned = base.lstrip(".").strip()
    return cleaned[:200] or "attachment"


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return re.sub(r"\n{3,}", "\n\n", text).strip()
