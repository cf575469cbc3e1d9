"""Who is acting: a member of staff, a channel acting for a citizen, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """`name` goes into the audit trail: a staff email, `channel:web_chat`, or `system:scheduler`."""

    name: str
    staff_id: int | None = None
    team_id: str | None = None
    is_crt: bool = False

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None

    @classmethod
    def channel(cls, channel: str) -> Actor:
        return cls(name=f"channel:{channel}")

    @classmethod
    def system(cls, part: str) -> Actor:
        return cls(name=f"system:{part}")
