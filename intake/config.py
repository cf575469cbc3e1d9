"""Settings for the email channel: the SMTP listener, outbound mail, and what replies say about the council.

Validated with the rest of `config.yml` (see feedback.settings): a bad value stops start-up naming its key.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

# Types a member of staff could be tricked into running: kept by name and size only, never their bytes.
DEFAULT_REFUSED_TYPES = (
    "application/x-msdownload",
    "application/x-msdos-program",
    "application/x-executable",
    "application/x-sh",
    "application/x-bat",
    "application/java-archive",
    "application/vnd.microsoft.portable-executable",
    "application/x-ms-installer",
)
DEFAULT_REFUSED_EXTENSIONS = (".exe", ".bat", ".cmd", ".com", ".scr", ".msi", ".js", ".vbs", ".jar", ".ps1", ".sh")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListenerSettings(_Section):
    """The SMTP listener the council's mail server relays the feedback address to."""

    host: str = "127.0.0.1"
    port: int = Field(2525, ge=1, le=65535)
    hostname: str = Field("feedback.council.example", min_length=1, max_length=253)
    recipients: tuple[EmailStr, ...] = Field(("feedback@council.example",), min_length=1)
    max_message_bytes: int = Field(25_000_000, ge=10_000, le=200_000_000)
    max_recipients: int = Field(20, ge=1, le=1000)
    idle_timeout_seconds: int = Field(300, ge=1, le=3600)
    tls_certificate: Path | None = None
    tls_key: Path | None = None

    @field_validator("recipients")
    @classmethod
    def _lower_case(cls, recipients: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(address.lower() for address in recipients)

    @model_validator(mode="after")
    def _tls_pair(self) -> ListenerSettings:
        if (self.tls_certificate is None) != (self.tls_key is None):
            raise ValueError("set both tls_certificate and tls_key, or neither")
        for path in (self.tls_certificate, self.tls_key):
            if path is not None and not path.is_file():
                raise ValueError(f"{path} is not a readable file")
        return self


class AttachmentSettings(_Section):
    max_bytes: int = Field(10_000_000, ge=1_000, le=100_000_000)
    refused_types: tuple[str, ...] = DEFAULT_REFUSED_TYPES
    refused_extensions: tuple[str, ...] = DEFAULT_REFUSED_EXTENSIONS


class RelaySettings(_Section):
    """Where outbound mail goes: the council's relay (in `make run`, the local sink)."""

    host: str = "127.0.0.1"
    port: int = Field(2526, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_seconds: int = Field(30, ge=1, le=600)


class RetrySettings(_Section):
    max_attempts: int = Field(8, ge=1, le=100)
    first_delay_seconds: int = Field(60, ge=1, le=86_400)
    max_delay_seconds: int = Field(6 * 3600, ge=1, le=7 * 86_400)


class MailSettings(_Section):
    from_address: EmailStr = "feedback@council.example"
    from_name: str = Field("Customer Relations, Children's and Education Services", max_length=120)
    # Our Message-IDs end in this domain, so replies to them are recognised.
    message_id_domain: str = Field("council.example", pattern=r"^[A-Za-z0-9.-]+$")
    # At most this many acknowledgements to one address an hour, so two auto-responders cannot loop.
    acknowledgements_per_hour: int = Field(3, ge=1, le=100)
    relay: RelaySettings = RelaySettings()
    retry: RetrySettings = RetrySettings()
    # The local sink (`feedback mail-sink`, started by `make run`) writes what it "sends" here.
    sink_directory: Path = Path("var/sent")
    attachments: AttachmentSettings = AttachmentSettings()


class CouncilSettings(_Section):
    """What replies tell people about reaching a person."""

    name: str = Field("the County Council", max_length=120)
    phone: str = Field("01234 567890", max_length=40)
    hours: str = Field("Monday to Friday, 9am to 5pm", max_length=120)
