"""What a person's answer means: a role, yes or no, a service label, an email, a phone number, a reference.

People answer in their own words ("I'm his mum", "nah", "the EHCP lot"); the chat page's buttons send
plain words too, so one reading serves both. Each function returns None when it cannot tell, and the
form then asks again with an example instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT_CHARS = 100_000  # as store.service.MAX_TEXT_CHARS: the longest message a case can hold
MAX_NAME_CHARS = 200
# What no database can store (as feedback.api.schemas.UNSTORABLE_TEXT): NUL and unpaired surrogates.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
PHONE = re.compile(r"^\+?[0-9 ()\-]{7,20}$")  # as feedback.api.schemas.PHONE_PATTERN

YES = {
    "yes",
    "yeah",
    "yep",
    "yup",
    "yea",
    "ya",
    "y",
    "ys",
    "sure",
    "ok",
    "okay",
    "correct",
    "right",
    "true",
    "absolutely",
    "definitely",
    "please",
    "they do",
    "she does",
    "he does",
    "affirmative",
}
NO = {"no", "nope", "nah", "n", "not", "don't", "dont", "doesn't", "doesnt", "never", "false", "negative"}
UNSURE = (
    "not sure",
    "unsure",
    "don't know",
    "dont know",
    "do not know",
    "no idea",
    "dunno",
    "not certain",
    "i don't know",
    "idk",
    "maybe",
)
SKIP = (
    "skip",
    "no thanks",
    "no thank you",
    "rather not",
    "prefer not",
    "leave it out",
    "none",
    "no phone",
    "no number",
    "not needed",
    "no",
)

ROLES: list[tuple[str, tuple[str, ...]]] = [
    ("foster_carer", ("foster",)),
    (
        "young_person",
        (
            "young person",
            "myself",
            "about me",
            "i'm the child",
            "im the child",
            "i am the child",
            "i'm a child",
            "i am a child",
            "i'm the young",
            "im the young",
            "i am the young",
            "teenager",
            "i'm 1",
            "im 1",
            "i am 1",
            "pupil",
            "student",
            "me",
        ),
    ),
    (
        "professional",
        (
            "professional",
            "teacher",
            "social worker",
            "health visitor",
            "nurse",
            "doctor",
            "gp",
            "senco",
            "head teacher",
            "headteacher",
            "police",
            "practitioner",
            "worker",
            "officer",
            "therapist",
            "solicitor",
            "advocate",
            "counsellor",
        ),
    ),
    (
        "parent_carer",
        (
            "parent",
            "my son",
            "my daughter",
            "my child",
            "my kid",
            "my boy",
            "my girl",
            "mum",
            "mom",
            "mother",
            "dad",
            "father",
            "carer",
            "guardian",
            "step",
            "special guardian",
            "kinship",
        ),
    ),
    (
        "other",
        (
            "someone else",
            "other",
            "relative",
            "friend",
            "neighbour",
            "aunt",
            "uncle",
            "grand",
            "nan",
            "gran",
            "sibling",
            "brother",
            "sister",
            "cousin",
        ),
    ),
]
ROLE_WORDS = {
    "young_person": "the young person",
    "parent_carer": "a parent or carer",
    "foster_carer": "a foster carer",
    "professional": "a professional",
    "other": "someone else",
}

# Most specific first: "school transport" is transport, not a school; "social worker" is a children's team.
SERVICES: list[tuple[str, tuple[str, ...]]] = [
    ("school_transport", ("transport", "bus", "taxi", "minibus", "travel", "driver", "escort")),
    ("eleven_plus", ("11+", "11 plus", "eleven plus", "11plus", "grammar test", "11 +")),
    (
        "sendar",
        (
            "send ",
            "send/",
            "ehcp",
            "ehc",
            "education health and care",
            "special educational",
            "annual review",
            "sendar",
            "sen ",
        ),
    ),
    ("school_admissions", ("admission", "school place", "in-year", "in year", "appeal", "offer", "application")),
    ("fostering", ("foster",)),
    ("adoption", ("adopt",)),
    ("leaving_care", ("leaving care", "care leaver", "personal adviser", "personal advisor")),
    ("disabled_children", ("disab", "short break", "cwd")),
    ("early_help", ("early help", "family support", "family worker")),
    ("childrens_initial_response", ("front door", "referral", "mash", "initial response", "safeguarding")),
    (
        "childrens_team",
        (
            "social worker",
            "social care",
            "children's team",
            "childrens team",
            "child protection",
            "child in need",
            "care plan",
            "children's services",
            "childrens services",
            "social services",
        ),
    ),
    ("education_other", ("attendance", "home education", "elective home", "early years", "nursery", "funding")),
    ("crt", ("school", "academy", "primary", "college", "nursery school")),
]

PARTS: dict[str, tuple[str, ...]] = {
    "description": ("what happened", "description", "story", "message", "details of", "what i said", "text"),
    "role": ("who i am", "who you are", "role", "who i'm", "me as"),
    "child": ("child", "agree", "on behalf", "consent"),
    "service": ("service", "school", "team", "about"),
    "contact": ("contact", "name", "email", "e-mail", "phone", "number", "reply", "anonymous", "address"),
}


def words(text: str) -> str:
    """Lower-case, straight apostrophes, single spaces: the form every reading below works on."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower()
    return " ".join(text.split())


def clean_text(text: str) -> str:
    """The person's words as the store can keep them: unstorable characters dropped, ends trimmed."""
    return UNSTORABLE.sub("", text).strip()


def _has(text: str, phrase: str) -> bool:
    """`phrase` starts a word in `text`; a short one ("me", "gp", "ehc") must be the whole word."""
    end = r"(?![a-z])" if len(phrase) <= 3 else ""
    return re.search(rf"(?<![a-z]){re.escape(phrase)}{end}", text) is not None


def role(text: str) -> str | None:
    said = words(text)
    for label, phrases in ROLES:
        if any(_has(said, phrase) for phrase in phrases):
            return label
    return None


def yes_no(text: str, intent: str | None = None) -> bool | None:
    """True for yes, False for no, None when the answer is neither (or "not sure")."""
    said = words(text).strip(" .!")
    if unsure(said):
        return None
    tokens = set(re.findall(r"[a-z']+", said))
    if intent == "affirm" or said in YES or (tokens & YES and not tokens & NO):
        return True
    if intent == "deny" or said in NO or tokens & NO:
        return False
    return None


def unsure(text: str) -> bool:
    said = words(text)
    return any(phrase in said for phrase in UNSURE)


def skipped(text: str) -> bool:
    said = words(text).strip(" .!")
    return said in SKIP or any(_has(said, phrase) for phrase in SKIP if " " in phrase)


def service_label(text: str) -> str | None:
    said = words(text) + " "
    for label, phrases in SERVICES:
        if any(_has(said, phrase) for phrase in phrases):
            return label
    return None


def email(text: str) -> str | None:
    """The address in the answer ("it's jo@example.org"), or None when there is no plausible one."""
    for token in re.split(r"[\s,;<>]+", text.strip()):
        candidate = token.strip(".'\"()[]")
        if "@" in candidate and len(candidate) <= 254 and EMAIL.match(candidate):
            return candidate
    return None


def phone(text: str) -> str | None:
    candidate = re.sub(r"^(my )?(phone |mobile |number |phone number )?(is |it's |its )?", "", words(text)).strip(" .")
    return candidate if PHONE.match(candidate) and sum(ch.isdigit() for ch in candidate) >= 7 else None


def reference(text: str) -> str | None:
    """A reference as the API writes it (FB-7K3M-9QX4), from "fb 7k3m 9qx4", "FB7K3M9QX4" or a sentence."""
    compact = re.sub(r"[\s\-_.\[\]()]", "", text.upper())
    match = re.search(r"FB([0-9A-Z]{7}[0-9A-Z*~$=])", compact)
    if not match:
        return None
    body = match.group(1)
    return f"FB-{body[:4]}-{body[4:]}"


def wants_to_add(text: str) -> bool:
    """ "Add more", "I want to add something": more to what happened, not a change to it."""
    said = words(text)
    return _has(said, "add") or "something else to say" in said or "say more" in said


def parts_to_change(text: str) -> list[str]:
    said = words(text)
    return [part for part, phrases in PARTS.items() if any(phrase in said for phrase in phrases)]


def name(text: str) -> str | None:
    """The name in "my name is Jo Bloggs" / "it's Jo", or None if empty or too long to be one."""
    said = re.sub(r"^(?:my name is|my name's|i am|i'm|im|it's|its|this is|name:)\s+", "", text.strip(), flags=re.I)
    said = said.strip(" .")
    if not said or len(said) > MAX_NAME_CHARS:
        return None
    return said


def no_email(text: str) -> bool:
    said = words(text)
    return any(
        phrase in said
        for phrase in (
            "no email",
            "no e-mail",
            "don't have",
            "dont have",
            "do not have",
            "haven't got",
            "havent got",
            "no address",
        )
    )


# A safety net under the NLU for "a child is at risk of harm now": a message the classifier did not read as
# danger still gets the emergency routes first when it says so in plain words. Narrow on purpose (harm
# *and* now, or a phrase that is always urgent), so a complaint about something past is not flagged urgent.
ALWAYS_URGENT = (
    "in danger",
    "not safe",
    "isn't safe",
    "is not safe",
    "being abused",
    "being hurt",
    "being beaten",
    "being hit",
    "going to hurt",
    "going to kill",
    "threatening to hurt",
    "threatening to kill",
    "left home alone",
    "left alone in the house",
    "left alone in the flat",
)
HARM = ("hurt", "hit", "hits", "hitting", "beat", "abus", "attack", "kill", "assault")
NOW = ("right now", "tonight", "at the moment", "as we speak")


def danger_now(text: str) -> bool:
    said = words(text)
    if any(phrase in said for phrase in ALWAYS_URGENT):
        return True
    return any(_has(said, harm) for harm in HARM) and any(_has(said, now) for now in NOW)
