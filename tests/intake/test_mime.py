"""The email parser over a corpus of awkward real-world messages, plus fuzzing and focused cases.

`corpus/expected.yml` says what each `corpus/*.eml` must become; the focused tests below pin the rules
behind it: which reply formats `visible_text` strips, who counts as a robot, what attachment names and
charsets turn into. Whatever the bytes, `parse_mail` returns or raises UnparseableMail, nothing else.
"""

from __future__ import annotations

import base64
import os
import time
import unicodedata
import urllib.parse
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.mime import ParsedMail, UnparseableMail, parse_mail, visible_text

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yml").read_text(encoding="utf-8"))
CORPUS_FILES = sorted(path.name for path in CORPUS.glob("*.eml"))
REFERENCE = "FB-2DR0-BP8T"  # a valid reference (check symbol included) from store.references.new_reference()

# MIME_FUZZ_EXAMPLES=20000 for a long hunt; the default keeps the suite quick.
FUZZ_EXAMPLES = int(os.environ.get("MIME_FUZZ_EXAMPLES", "200"))
fuzz_settings = settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def message(headers: str, body: str | bytes = "Hello, I have a question about school admissions.\n") -> bytes:
    """A small message: `headers` as written (LF line ends), then a blank line and the body."""
    head = headers.strip("\n").replace("\n", "\r\n").encode("utf-8")
    return head + b"\r\n\r\n" + (body if isinstance(body, bytes) else body.encode("utf-8"))


def parse_or_unparseable(raw: bytes, envelope_sender: str | None = None) -> ParsedMail | None:
    """parse_mail's result, or None for UnparseableMail; any other exception fails the test."""
    try:
        return parse_mail(raw, envelope_sender=envelope_sender)
    except UnparseableMail as error:
        # The last-resort handler in parse_mail turns library bugs into quarantine; none may reach it here.
        assert not str(error).startswith("internal error"), error
        return None


def assert_storable(parsed: ParsedMail) -> None:
    """Every text field fits a UTF-8 database column and a staff screen: no NULs, no stray surrogates."""
    texts = [parsed.subject, parsed.body, parsed.visible_text, *parsed.references]
    texts += [value for value in (parsed.sender_name, parsed.sender_address, parsed.message_id) if value]
    texts += [value for value in (parsed.in_reply_to,) if value]
    texts += [attachment.filename for attachment in parsed.attachments]
    for text in texts:
        assert "\x00" not in text
        text.encode("utf-8")  # raises on a lone surrogate
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert len(parsed.subject) <= 998
    for attachment in parsed.attachments:
        assert_safe_filename(attachment.filename)


def assert_safe_filename(name: str) -> None:
    assert name, "an attachment name is never empty"
    assert "/" not in name and "\\" not in name, name
    assert not name.startswith("."), name
    assert len(name) <= 200
    for char in name:
        assert unicodedata.category(char) not in ("Cc", "Cf", "Cs") or char in "\u200c\u200d", repr(name)


# --- the corpus ---------------------------------------------------------------------------------------------


def test_every_corpus_file_has_expectations_and_every_expectation_a_file() -> None:
    assert len(CORPUS_FILES) >= 34
    assert sorted(EXPECTED) == CORPUS_FILES


KNOWN_KEYS = {
    "unparseable", "envelope_sender", "subject", "subject_contains", "subject_length", "sender_address",
    "sender_name", "message_id", "in_reply_to", "references", "sent_at", "from_robot", "robot_reasons_include",
    "attachments", "body", "body_contains", "body_excludes", "visible", "visible_contains", "visible_excludes",
    "defects_include",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expectations_are_well_formed(name: str) -> None:
    # A YAML slip (an unquoted "wrote:" becomes a mapping) must fail loudly, not weaken a check.
    expected = EXPECTED[name]
    assert set(expected) <= KNOWN_KEYS, set(expected) - KNOWN_KEYS
    for key, value in expected.items():
        if key.endswith(("_contains", "_excludes", "_include")) or key == "references":
            assert isinstance(value, list) and all(isinstance(item, str) for item in value), key
    for attachment in expected.get("attachments", []):
        assert set(attachment) <= {"filename", "content_type", "inline", "size", "data_contains"}
        assert {"filename", "content_type"} <= set(attachment)


def test_corpus_has_both_line_endings() -> None:
    crlf = [name for name in CORPUS_FILES if b"\r\n" in (CORPUS / name).read_bytes()]
    lf_only = [name for name in CORPUS_FILES if b"\n" in (data := (CORPUS / name).read_bytes()) and b"\r\n" not in data]
    assert len(crlf) >= 10 and len(lf_only) >= 10


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_message(name: str) -> None:
    expected = EXPECTED[name]
    raw = (CORPUS / name).read_bytes()
    if expected.get("unparseable"):
        with pytest.raises(UnparseableMail):
            parse_mail(raw, envelope_sender=expected.get("envelope_sender"))
        return
    parsed = parse_mail(raw, envelope_sender=expected.get("envelope_sender"))
    assert_storable(parsed)

    for field in ("subject", "sender_address", "sender_name", "message_id", "in_reply_to", "body"):
        if field in expected:
            assert getattr(parsed, field) == expected[field], field
    if "visible" in expected:
        assert parsed.visible_text == expected["visible"]
    if "references" in expected:
        assert list(parsed.references) == expected["references"]
    if "sent_at" in expected:
        sent_at = expected["sent_at"]
        assert parsed.sent_at == (datetime.fromisoformat(sent_at) if sent_at else None)
    if "subject_length" in expected:
        assert len(parsed.subject) == expected["subject_length"]
    for phrase in expected.get("subject_contains", []):
        assert phrase in parsed.subject, phrase

    if "from_robot" in expected:
        assert parsed.from_robot is expected["from_robot"], parsed.robot_reasons
    for word in expected.get("robot_reasons_include", []):
        assert any(word.lower() in reason.lower() for reason in parsed.robot_reasons), (word, parsed.robot_reasons)

    for phrase in expected.get("body_contains", []):
        assert phrase in parsed.body, phrase
    for phrase in expected.get("body_excludes", []):
        assert phrase not in parsed.body, phrase
    for phrase in expected.get("visible_contains", []):
        assert phrase in parsed.visible_text, phrase
    for phrase in expected.get("visible_excludes", []):
        assert phrase not in parsed.visible_text, phrase
    for defect in expected.get("defects_include", []):
        assert defect in parsed.defects, parsed.defects

    if "attachments" in expected:
        wanted = expected["attachments"]
        assert len(parsed.attachments) == len(wanted), [a.filename for a in parsed.attachments]
        for attachment, want in zip(parsed.attachments, wanted, strict=True):
            assert attachment.filename == want["filename"]
            assert attachment.content_type == want["content_type"]
            if "inline" in want:
                assert attachment.inline is want["inline"]
            if "size" in want:
                assert attachment.size == want["size"]
            if "data_contains" in want:
                assert want["data_contains"].encode("latin-1") in attachment.data


@pytest.fixture(scope="module")
def large_message() -> tuple[bytes, bytes]:
    """A ~3 MB message with a 2.3 MB PDF-like attachment, made here rather than committed."""
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 9000 + b"\n%%EOF\n"
    raw = message(
        """From: Leanne Price <leanne.price@example.com>
To: feedback@council.example
Subject: Scanned EHCP paperwork
Message-ID: <large-attachment@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="big-boundary"
""",
        (
            "--big-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "I have scanned every page of Jack's EHCP paperwork, attached.\r\n"
            '--big-boundary\r\nContent-Type: application/pdf; name="EHCP scan.pdf"\r\n'
            'Content-Disposition: attachment; filename="EHCP scan.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(pdf).decode("ascii").replace("\n", "\r\n")
            + "--big-boundary--\r\n"
        ),
    )
    return raw, pdf


def test_large_attachment_is_kept_whole(large_message: tuple[bytes, bytes]) -> None:
    raw, pdf = large_message
    assert len(raw) > 3_000_000
    started = time.perf_counter()
    parsed = parse_mail(raw, envelope_sender="leanne.price@example.com")
    assert time.perf_counter() - started < 10
    assert parsed.body == "I have scanned every page of Jack's EHCP paperwork, attached."
    [attachment] = parsed.attachments
    assert (attachment.filename, attachment.content_type, attachment.inline) == (
        "EHCP scan.pdf",
        "application/pdf",
        False,
    )
    assert attachment.size == len(pdf) and attachment.data == pdf


# --- fuzzing ------------------------------------------------------------------------------------------------

PARSEABLE = [(CORPUS / name).read_bytes() for name in CORPUS_FILES if not EXPECTED[name].get("unparseable")]
TOKENS = [
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n\r\n",
    b"--",
    b"=?utf-8?b?",
    b"=?iso-8859-1?q?=E9",
    b"?=",
    b"\xff\xfe\xe2\x80",
    b"\xed\xa0\x80",
    b'Content-Type: multipart/mixed; boundary="x"\r\n',
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Type: text/plain; charset=undefined\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Disposition: attachment; filename*=utf-8''%00%2e%2e%2f%E2%80%AE\r\n",
    b"\r\n--x\r\n",
    b"\r\n--x--\r\n",
    b"=\r\n",
    b"=E2=80",
    b"Date: Mon, 3 Mar 99999 10:00:00 +99999999999\r\n",
    b'From: "\\" <@>, ;:\r\n',
    b"Subject: =?utf-8?q?=00?=\r\n",
    b"On Mon, 3 Mar 2025 at 10:02, X <x@example.org> wrote:\n> ",
    b"From: a\nSent: b\nTo: c\nSubject: d\n",
    b"---------- Forwarded message ---------\n",
    b"-- \n",
    b"On " + b"x " * 400,
]


@st.composite
def mutated_corpus_messages(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(PARSEABLE)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        position = draw(st.integers(min_value=0, max_value=len(raw)))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "token", "duplicate", "truncate"]))
        if kind == "flip" and position < len(raw):
            raw[position] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "delete":
            del raw[position : position + draw(st.integers(min_value=1, max_value=200))]
        elif kind == "insert":
            raw[position:position] = draw(st.binary(min_size=1, max_size=40))
        elif kind == "token":
            raw[position:position] = draw(st.sampled_from(TOKENS))
        elif kind == "duplicate":
            raw[position:position] = raw[position : position + draw(st.integers(min_value=1, max_value=400))]
        elif kind == "truncate":
            del raw[position:]
    return bytes(raw)


header_lines = st.builds(
    lambda name, value: name + b": " + value,
    st.sampled_from([b"From", b"Subject", b"Content-Type", b"Content-Disposition", b"Date", b"Message-ID", b"To"]),
    st.binary(max_size=60),
)


@fuzz_settings
@given(st.binary(max_size=3000))
def test_random_bytes_never_crash(raw: bytes) -> None:
    parsed = parse_or_unparseable(raw)
    if parsed is not None:
        assert_storable(parsed)


@fuzz_settings
@given(st.lists(header_lines, max_size=8), st.binary(max_size=500), st.sampled_from([b"\n", b"\r\n"]))
def test_random_headers_never_crash(lines: list[bytes], body: bytes, newline: bytes) -> None:
    parsed = parse_or_unparseable(newline.join(lines) + newline + newline + body)
    if parsed is not None:
        assert_storable(parsed)


@fuzz_settings
@given(mutated_corpus_messages(), st.sampled_from([None, "", "<>", "parent@example.org"]))
def test_mutated_corpus_messages_never_crash(raw: bytes, envelope_sender: str | None) -> None:
    parsed = parse_or_unparseable(raw, envelope_sender)
    if parsed is not None:
        assert_storable(parsed)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.text(max_size=2000))
def test_visible_text_of_any_text_is_some_of_that_text(body: str) -> None:
    text = visible_text(body)
    assert ("\x00" in text) <= ("\x00" in body)
    # Nothing is invented: every line shown is (a stripped copy of) a line of the body.
    lines = {line.strip() for line in body.splitlines()}
    assert all(line.strip() in lines for line in text.splitlines() if line.strip())


@pytest.mark.parametrize("kind", ["multipart", "rfc822"])
@pytest.mark.parametrize("depth", [100, 900, 3000])
def test_deeply_nested_parts_are_read_or_refused(kind: str, depth: int) -> None:
    inner = b"Content-Type: text/plain\r\n\r\nThe bus was late.\r\n"
    for level in range(depth):
        if kind == "multipart":
            boundary = f"b{level}".encode()
            inner = (
                b'Content-Type: multipart/mixed; boundary="'
                + boundary
                + b'"\r\n\r\n--'
                + boundary
                + b"\r\n"
                + inner
                + b"\r\n--"
                + boundary
                + b"--\r\n"
            )
        else:
            inner = b"Content-Type: message/rfc822\r\n\r\nFrom: school@example.org\r\n" + inner
    parsed = parse_or_unparseable(b"From: parent@example.org\r\nSubject: nested\r\n" + inner)
    if parsed is not None:
        assert_storable(parsed)
        if depth == 100 and kind == "multipart":
            assert parsed.body == "The bus was late."


# --- visible_text on reply formats --------------------------------------------------------------------------

NEW = "The taxi did not come again this morning."
ACK = f"Dear Mrs Khan,\nWe have received your complaint. Your reference is {REFERENCE}."


def quoted(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines())


REPLY_FORMATS = {
    "gmail": (
        f"{NEW}\n\nOn Mon, 3 Mar 2025 at 10:02, Customer Relations <feedback@council.example> wrote:\n\n{quoted(ACK)}"
    ),
    "gmail, header wrapped": (
        f"{NEW}\n\nOn Mon, 3 Mar 2025 at 10:02, Customer Relations Team Children's Services <\n"
        f"feedback@council.example> wrote:\n\n{quoted(ACK)}"
    ),
    "gmail in Polish": (
        f"{NEW}\n\npon., 3 mar 2025 o 10:02 Customer Relations <feedback@council.example> napisał(a):\n\n{quoted(ACK)}"
    ),
    "outlook": (
        f"{NEW}\n\nKind regards\nAmina Khan\n\n________________________________\n"
        "From: Customer Relations <feedback@council.example>\nSent: 03 March 2025 10:02\n"
        f"To: Amina Khan <amina.khan@example.org>\nSubject: [{REFERENCE}] We have received your complaint\n\n{ACK}"
    ),
    "outlook, names only (Exchange)": (
        f"{NEW}\n\nFrom: Relations, Customer\nSent: Monday, March 3, 2025 10:02 AM\nTo: Khan, Amina\n"
        f"Subject: RE: [{REFERENCE}] We have received your complaint\n\n{ACK}"
    ),
    "outlook for android": (
        f"{NEW}\n\nGet Outlook for Android\n________________________________\n"
        "From: Customer Relations <feedback@council.example>\nSent: Monday, March 3, 2025 10:02:11 AM\n"
        f"To: amina.khan@example.org <amina.khan@example.org>\nSubject: We have received your complaint\n\n{ACK}"
    ),
    "-----Original Message-----": (
        f"{NEW}\n\n-----Original Message-----\nFrom: Customer Relations [mailto:feedback@council.example]\n"
        f"Sent: 03 March 2025 10:02\nTo: amina.khan@example.org\nSubject: complaint\n\n{ACK}"
    ),
    "apple mail": (
        f"{NEW}\n\n> On 3 Mar 2025, at 10:02, Customer Relations <feedback@council.example> wrote:\n>\n{quoted(ACK)}"
    ),
    "iphone": (
        f"{NEW}\n\nSent from my iPhone\n\n> On 3 Mar 2025, at 10:02, Customer Relations "
        f"<feedback@council.example> wrote:\n>\n{quoted(ACK)}"
    ),
    "yahoo": (
        f"{NEW}\n\nOn Monday, 3 March 2025, 10:02:11 GMT, Customer Relations <feedback@council.example> "
        f"wrote:\n\n\n{ACK}"
    ),
    "thunderbird": f"{NEW}\n\nOn 03/03/2025 10:02, Customer Relations wrote:\n{quoted(ACK)}",
    "german client": (
        f"{NEW}\n\nAm 03.03.2025 um 10:02 schrieb Customer Relations <feedback@council.example>:\n{quoted(ACK)}"
    ),
    "french client": (
        f"{NEW}\n\nLe lun. 3 mars 2025 à 10:02, Customer Relations <feedback@council.example> a écrit :\n{quoted(ACK)}"
    ),
}


@pytest.mark.parametrize("body", REPLY_FORMATS.values(), ids=REPLY_FORMATS.keys())
def test_visible_text_is_the_new_reply_only(body: str) -> None:
    assert visible_text(body) == NEW
    assert visible_text(body.replace("\n", "\r\n")) == NEW


SIGNATURES = {
    "dash-dash-space": f"{NEW}\n\n-- \nAmina Khan\n07700 900123",
    "sent from my iPhone": f"{NEW}\n\nSent from my iPhone",
    "sent from Samsung": f"{NEW}\n\nSent from my Galaxy",
    "mail for windows": f"{NEW}\n\nSent from Mail for Windows",
    "kind regards and a name": f"{NEW}\n\nKind regards,\nAmina Khan\nMother of Zain, Year 9",
    "yours sincerely": f"{NEW}\n\nYours sincerely\n\nMrs A Khan",
    "welsh sign-off": f"{NEW}\n\nDiolch yn fawr,\nSiân",
    "polish sign-off": f"{NEW}\n\nPozdrawiam\nAnna Nowak",
    "disclaimer without a signature": (
        f"{NEW}\n\nThis email and any attachments are confidential and intended solely for the addressee."
    ),
    "signature then disclaimer": (
        f"{NEW}\n\n-- \nJ Patel, Solicitor\n\nDISCLAIMER: This email is confidential. If you received it in error "
        "please tell us by email and delete it."
    ),
}


@pytest.mark.parametrize("body", SIGNATURES.values(), ids=SIGNATURES.keys())
def test_visible_text_drops_signatures(body: str) -> None:
    assert visible_text(body) == NEW


KEPT_WHOLE = {
    "hyphen list": "Since February:\n- the taxi did not come on 3 days\n- nobody answered the phone\n\nPlease reply.",
    "thanks inside the message": (
        "The social worker came today.\nThanks, but that is not the point: she was two hours late."
    ),
    "thank you then a postscript": (
        "The bus was late.\n\nThank you\n\nP.S. The driver also refused to help my son with the ramp."
    ),
    "polish Data: line": "Spotkanie zostało odwołane.\nData: 14 kwietnia\nNikt nie przyszedł.",
    "the word wrote in a sentence": "On Monday the head wrote to me.\nShe said the place was withdrawn.",
    "a long line starting On": "On Monday " + "I rang the SEND team and nobody called back. " * 200,
    "a confidential remark": "Some context first.\nThis message is confidential: please do not tell the school.",
    "nothing but a quote": "> On 3 Mar 2025 Customer Relations wrote:\n> Dear Mrs Khan",
}


@pytest.mark.parametrize("body", KEPT_WHOLE.values(), ids=KEPT_WHOLE.keys())
def test_visible_text_keeps_what_the_person_wrote(body: str) -> None:
    assert visible_text(body) == body.strip()


def test_visible_text_keeps_a_forwarded_message_after_the_note() -> None:
    forwarded = (
        "Please see below, the school has refused again.\n\n---------- Forwarded message ---------\n"
        "From: Oakfield Primary <office@oakfield.example.org>\nDate: Fri, 28 Feb 2025 at 16:11\n"
        "Subject: Admission\nTo: <parent@example.org>\n\nDear parent, we cannot offer a place.\n\n"
        "Regards\nSchool Office\n\n"
        "On Thu, 27 Feb 2025 at 09:00, Parent <parent@example.org> wrote:\n> Is there a place?"
    )
    assert (
        visible_text(forwarded)
        == "Please see below, the school has refused again.\n\nDear parent, we cannot offer a place."
    )
    apple = forwarded.replace("---------- Forwarded message ---------", "Begin forwarded message:")
    assert visible_text(apple) == visible_text(forwarded)
    bare = forwarded[forwarded.index("----------") :]
    assert visible_text(bare) == "Dear parent, we cannot offer a place."


def test_a_forward_inside_a_quoted_reply_stays_quoted() -> None:
    body = (
        f"{NEW}\n\nOn Mon, 3 Mar 2025 at 10:02, Customer Relations <feedback@council.example> wrote:\n"
        "> ---------- Forwarded message ---------\n> From: School <office@oakfield.example.org>\n> Old news"
    )
    assert visible_text(body) == NEW


def test_visible_text_is_quick_on_hostile_long_lines() -> None:
    lines = ("On Monday " + "x y " * 70 + "\n") * 400
    started = time.perf_counter()
    visible_text(lines)
    visible_text("On " + "word " * 200_000)
    assert time.perf_counter() - started < 5


# --- robots ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "envelope_sender", "reason"),
    [
        ("From: Jo <jo@example.org>\nAuto-Submitted: auto-replied", "jo@example.org", "Auto-Submitted"),
        ("From: Jo <jo@example.org>\nAuto-Submitted: auto-generated", None, "Auto-Submitted"),
        ("From: Jo <jo@example.org>\nPrecedence: bulk", None, "Precedence: bulk"),
        ("From: Jo <jo@example.org>\nPrecedence: junk", None, "Precedence: junk"),
        ("From: Jo <jo@example.org>\nPrecedence: list", None, "Precedence: list"),
        ("From: Forum <news@example.com>\nList-Id: <parents.example.com>", None, "mailing list"),
        ("From: Forum <news@example.com>\nList-Unsubscribe: <mailto:u@example.com>", None, "mailing list"),
        ("From: Jo <jo@example.org>\nX-Autoreply: yes", None, "auto-responder"),
        ("From: School <noreply@school.example.org>", None, "noreply"),
        ("From: School <no-reply@school.example.org>", None, "no-reply"),
        ("From: School <no_reply@school.example.org>", None, "no_reply"),
        ("From: School <donotreply@school.example.org>", None, "donotreply"),
        ("From: School <do-not-reply@school.example.org>", None, "do-not-reply"),
        ("From: School <do_not_reply@school.example.org>", None, "do_not_reply"),
        ("From: <MAILER-DAEMON@mx.example.com>", None, "mailer-daemon"),
        ("From: Postmaster <postmaster@example.com>", None, "postmaster"),
        ("From: <bounces+12345-parent=example.org@lists.example.com>", None, "bounces"),
        ("From: Jo <jo@example.org>", "<>", "empty return path"),
        ("From: Jo <jo@example.org>", "", "empty return path"),
        ("From: Jo <jo@example.org>", "MAILER-DAEMON@mx.example.com", "MAILER-DAEMON"),
        # No envelope (a message re-read from quarantine): the Return-Path header stands in for it.
        ("Return-Path: <>\nFrom: Jo <jo@example.org>", None, "empty return path"),
        ("From: <mailer-daemon@example.com>\nContent-Type: multipart/report; boundary=x", None, "delivery report"),
    ],
)
def test_robots(headers: str, envelope_sender: str | None, reason: str) -> None:
    parsed = parse_mail(message(headers + "\nSubject: x"), envelope_sender=envelope_sender)
    assert parsed.from_robot
    assert any(reason.lower() in found.lower() for found in parsed.robot_reasons), parsed.robot_reasons


@pytest.mark.parametrize(
    ("headers", "envelope_sender"),
    [
        ("From: Jo <jo@example.org>\nAuto-Submitted: no", "jo@example.org"),
        ("From: Jo <jo@example.org>\nAuto-Submitted: No", None),
        ("From: Jo <jo@example.org>\nPrecedence: first-class", None),
        ("From: Noreen Reply <noreen.reply@example.org>", "noreen.reply@example.org"),
        ("From: Bouncer <bouncer@example.org>", None),
        # Exchange sets this on people's mail too: it asks others not to auto-answer, it is no robot's mark.
        ("From: Jo <jo@example.org>\nX-Auto-Response-Suppress: All", "jo@example.org"),
        ("From: Jo <jo@example.org>\nX-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply", None),
        ("From: Jo <jo@example.org>", None),
        # The envelope wins over a Return-Path header the sender wrote themselves.
        ("Return-Path: <>\nFrom: Jo <jo@example.org>", "jo@example.org"),
    ],
)
def test_people(headers: str, envelope_sender: str | None) -> None:
    parsed = parse_mail(message(headers + "\nSubject: x"), envelope_sender=envelope_sender)
    assert parsed.robot_reasons == ()


# --- attachment names ---------------------------------------------------------------------------------------


def with_attachment(disposition: str, content_type: str = "application/octet-stream") -> bytes:
    return message(
        'From: parent@example.org\nSubject: attached\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"',
        f"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: {content_type}\r\n"
        f"Content-Disposition: {disposition}\r\n\r\ndata\r\n--b--\r\n",
    )


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        ('attachment; filename="letter.pdf"', "letter.pdf"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="/etc/shadow"', "shadow"),
        ('attachment; filename="..\\\\..\\\\boot.ini"', "boot.ini"),
        ('attachment; filename="C:\\\\Users\\\\Jo\\\\EHCP review.docx"', "EHCP review.docx"),
        ('attachment; filename=".bashrc"', "bashrc"),
        ('attachment; filename=".."', "attachment"),
        ('attachment; filename="reports/"', "attachment"),
        ('attachment; filename="   "', "attachment"),
        ("attachment", "attachment"),
        ("attachment; filename*=utf-8''bus%00pass%07%1B.txt", "buspass.txt"),
        ("attachment; filename*=utf-8''%0D%0Amy%09letter.txt", "my letter.txt"),
        ("attachment; filename*=utf-8''photo%E2%80%AEgpj.exe", "photogpj.exe"),
        ("attachment; filename*=utf-8''Zo%C3%A9%20-%20%C5%82%C3%B3d%C5%BA.pdf", "Zoé - łódź.pdf"),
        ("attachment; filename*=iso-8859-1''caf%E9.txt", "café.txt"),
        ('attachment; filename="=?utf-8?b?UmFwb3J0IMWBdWNqaS5wZGY=?="', "Raport Łucji.pdf"),
        (f'attachment; filename="{"a" * 300}.pdf"', "a" * 200),
    ],
)
def test_attachment_names_are_safe(disposition: str, filename: str) -> None:
    parsed = parse_mail(with_attachment(disposition))
    [attachment] = parsed.attachments
    assert attachment.filename == filename
    assert attachment.data == b"data"
    assert_safe_filename(attachment.filename)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.text(max_size=80))
def test_any_attachment_name_becomes_a_safe_one(name: str) -> None:
    encoded = urllib.parse.quote(name.encode("utf-8", "surrogatepass"), safe="")
    parsed = parse_or_unparseable(with_attachment(f"attachment; filename*=utf-8''{encoded}"))
    assert parsed is not None
    for attachment in parsed.attachments:
        assert_safe_filename(attachment.filename)


@pytest.mark.parametrize(
    "disposition",
    ["attachment; filename*=undefined''bus%E9.txt", "attachment; filename*=utf-8\x00''bus.txt"],
    ids=["codec that raises", "NUL in the charset"],
)
def test_an_unreadable_attachment_header_loses_nothing(disposition: str) -> None:
    # The email package raises on these RFC 2231 parameters whenever the header is read.
    raw = with_attachment(disposition, "text/plain")
    parsed = parse_mail(raw)
    assert "See attached." in parsed.body and "data" in parsed.body
    assert_storable(parsed)


def test_an_executable_is_kept_as_bytes_and_never_named_as_a_path() -> None:
    parsed = parse_mail(with_attachment('attachment; filename="..\\\\timetable.exe"', "application/x-msdownload"))
    [attachment] = parsed.attachments
    assert (attachment.filename, attachment.content_type, attachment.data) == (
        "timetable.exe",
        "application/x-msdownload",
        b"data",
    )


# --- charsets and headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "encoding", "payload", "text"),
    [
        (
            "windows-1252",
            "8bit",
            b"Allowance \x93paid\x94 late \x96 \xa3212 short, it\x92s wrong",
            "Allowance “paid” late – £212 short, it’s wrong",
        ),
        ("cp1252", "8bit", b"\x80 and \xa3", "€ and £"),
        ("iso-8859-1", "8bit", b"Zo\xe9 caf\xe9 na\xefve \xa330", "Zoé café naïve £30"),
        ("ISO-8859-1", "quoted-printable", b"Zo=E9 owes =A330", "Zoé owes £30"),
        ("latin1", "8bit", b"\x93quoted\x94", "“quoted”"),  # really Windows-1252, as browsers assume
        ("us-ascii", "8bit", b"fee \xa345", "fee £45"),
        (
            "us-ascii",
            "8bit",
            b"UTF-8 labelled ASCII: caf\xc3\xa9 \xe2\x80\x93 \xc2\xa35",
            "UTF-8 labelled ASCII: café – £5",
        ),
        ("utf-8", "8bit", b"\xc2\xa3100 for Zo\xc3\xab \xf0\x9f\x98\x8a", "£100 for Zoë 😊"),
        ("utf-8", "8bit", b"mislabelled \xa3100", "mislabelled £100"),
        ("x-unknown", "8bit", b"unknown label, utf-8 bytes: \xc5\x81ucja", "unknown label, utf-8 bytes: Łucja"),
        ("undefined", "8bit", b"the codec that always fails: \xc5\x81ucja", "the codec that always fails: Łucja"),
        ("rot13", "8bit", b"not a text codec", "not a text codec"),
        ("utf-8", "base64", base64.b64encode("Cais ysgol – Ysgol Gymraeg".encode()), "Cais ysgol – Ysgol Gymraeg"),
    ],
)
def test_charsets(charset: str, encoding: str, payload: bytes, text: str) -> None:
    raw = message(
        f'From: parent@example.org\nSubject: x\nContent-Type: text/plain; charset="{charset}"\n'
        f"Content-Transfer-Encoding: {encoding}",
        payload,
    )
    assert parse_mail(raw).body == text


@pytest.mark.parametrize(
    ("subject", "decoded"),
    [
        (b"=?utf-8?b?" + base64.b64encode("Cwyn – ysgol 🙏".encode()) + b"?=", "Cwyn – ysgol 🙏"),
        (b"=?iso-8859-1?q?Caf=E9_=E0_l'=E9cole?=", "Café à l'école"),
        (b"=?windows-1252?q?=93Short_breaks=94_=A3?=", "“Short breaks” £"),
        (b"=?utf-8?q?Transport_=E2=80?= appeal", "Transport \ufffd appeal"),
        (b"=?utf-8?q?unterminated appeal", "=?utf-8?q?unterminated appeal"),
        (b"=?utf-8?x?abc?=", "=?utf-8?x?abc?="),
        (b"Zero\x00byte and\x07bell", "Zerobyte andbell"),
        (b"Folded\r\n\tsubject  line", "Folded subject line"),
        ("Raw UTF-8: Za\u017calenie".encode(), "Raw UTF-8: Zażalenie"),
        (b"Raw Latin-1: caf\xe9", "Raw Latin-1: caf\ufffd"),
    ],
)
def test_subjects(subject: bytes, decoded: str) -> None:
    raw = b"From: parent@example.org\r\nSubject: " + subject + b"\r\n\r\nbody\r\n"
    assert parse_mail(raw).subject == decoded


@pytest.mark.parametrize(
    ("from_header", "name", "address"),
    [
        (b"Amina Khan <Amina.Khan@Example.ORG>", "Amina Khan", "amina.khan@example.org"),
        (b'"Khan, Amina" <amina.khan@example.org>', "Khan, Amina", "amina.khan@example.org"),
        (b"amina.khan@example.org (Amina Khan)", None, "amina.khan@example.org"),
        (b"=?utf-8?q?=C5=81ucja_Wi=C5=9Bniewska?= <lucja.w@example.org>", "Łucja Wiśniewska", "lucja.w@example.org"),
        ("Łucja Wiśniewska <lucja.w@example.org>".encode(), "Łucja Wiśniewska", "lucja.w@example.org"),
        (b"Ren\xe9e Lef\xe8vre <renee@example.com>", "Renée Lefèvre", "renee@example.com"),
        (b"Sarah Thompson", "Sarah Thompson", None),
        (b"<>", None, None),
        (b"", None, None),
    ],
)
def test_senders(from_header: bytes, name: str | None, address: str | None) -> None:
    parsed = parse_mail(b"From: " + from_header + b"\r\nSubject: x\r\n\r\nbody\r\n")
    assert (parsed.sender_name, parsed.sender_address) == (name, address)
    assert_storable(parsed)


def test_ids_and_dates() -> None:
    parsed = parse_mail(
        message(
            "From: parent@example.org\nMessage-ID: junk <first@example.org> <second@example.org>\n"
            f"In-Reply-To: <ack.{REFERENCE}.1@council.example>\n"
            f"References: <a@example.org>\n <ack.{REFERENCE}.1@council.example> not-an-id\n"
            "Date: Mon, 3 Mar 2025 10:02:00 -0000"
        )
    )
    assert parsed.message_id == "<first@example.org>"
    assert parsed.in_reply_to == f"<ack.{REFERENCE}.1@council.example>"
    assert parsed.references == ("<a@example.org>", f"<ack.{REFERENCE}.1@council.example>")
    assert parsed.sent_at is None  # "-0000" means the zone is unknown: no guessed time


@pytest.mark.parametrize(
    "date",
    [
        b"Thursday-ish",
        b"Mon, 3 Mar 99999 10:00:00 +0000",
        b"Mon, 3 Mar 2025 99:99:99 +0000",
        b"Mon, 3 Mar 2025 10:00 +99999999999999",
        b"",
    ],
)
def test_unreadable_dates_are_none(date: bytes) -> None:
    assert parse_mail(b"From: parent@example.org\r\nDate: " + date + b"\r\n\r\nbody").sent_at is None


def test_text_calendar_is_an_attachment_not_lost() -> None:
    raw = message(
        "From: senco@oakfield.example.org\nSubject: Annual review\nContent-Type: text/calendar; method=REQUEST",
        "BEGIN:VCALENDAR\r\nSUMMARY:Annual review\r\nEND:VCALENDAR\r\n",
    )
    parsed = parse_mail(raw)
    assert parsed.body == ""
    [invite] = parsed.attachments
    assert invite.content_type == "text/calendar" and b"SUMMARY:Annual review" in invite.data


@pytest.mark.parametrize(
    "raw", [b"", b"   \r\n\r\n  ", b"\x00\x01\x02 binary", b"just some text\r\nwith no headers\r\n"]
)
def test_unreadable_bytes_are_unparseable(raw: bytes) -> None:
    with pytest.raises(UnparseableMail):
        parse_mail(raw)


def test_a_library_failure_quarantines_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    # The last-resort handler: an exception from inside the email package must not escape parse_mail.
    def broken(message: object) -> None:
        raise IndexError("list index out of range")

    monkeypatch.setattr("intake.mime._body_and_attachments", broken)
    with pytest.raises(UnparseableMail, match="internal error reading the message: IndexError"):
        parse_mail(message("From: parent@example.org\nSubject: x"))
