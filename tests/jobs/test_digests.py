"""Weekly digests on a seeded database, checked figure by figure.

The digest of Monday 9 March 2026 (ISO week 11) reports on week 10 (2-8 March), against week 9 and against
week 10 of 2025, and lists what is due in week 11. The cases, by the day they arrived:

  2025-03-04  LY1, LY2  questions (SEND), closed the next day
  2026-02-02  H  corporate complaint (admissions), closed 10 Feb, stage 2 requested 3 March (now the CRT's)
  2026-02-09  F  question (admissions), due 23 Feb, answered 4 March: late
  2026-02-20  A  question (admissions, Lee Khan), due 6 March: overdue
  2026-02-27  B  question (admissions), due 13 March: due this week
  2026-03-02  C  corporate complaint (admissions), a low-confidence suggestion waiting for review
  2026-03-04  E  question (admissions), answered 5 March: in time
  2026-03-05  G  statutory complaint, with the CRT
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from jobs_support import CRT_EMAIL, Sent, london

from feedback.application import Application
from jobs.context import JobContext
from jobs.digests import latest_digest_moment, send_weekly_digests
from jobs.figures import Period, manager_figures, team_figures
from store.access import find_case
from store.db import transaction

Run = Callable[..., int]
Outbox = Callable[[], list[Sent]]
MANAGERS = [
    "alex.morgan@council.example",
    "dana.hughes@council.example",
    "kim.bell@council.example",
    "pat.ellis@council.example",
]


@pytest.fixture
def seeded(app: Application, new_case: Callable[..., str], act: Callable[..., None]) -> dict[str, str]:
    refs = {
        "LY1": new_case("question", london(2025, 3, 4), team="sendar", service="sendar"),
        "LY2": new_case("question", london(2025, 3, 4, 11), team="sendar", service="sendar"),
        "H": new_case("corporate", london(2026, 2, 2), team="school_admissions"),
        "F": new_case("question", london(2026, 2, 9), team="school_admissions"),
        "A": new_case("question", london(2026, 2, 20), team="school_admissions", officer="lee.khan@council.example"),
        "B": new_case("question", london(2026, 2, 27), team="school_admissions"),
        "C": new_case("corporate", london(2026, 3, 2), team="school_admissions"),
        "E": new_case("question", london(2026, 3, 4), team="school_admissions"),
        "G": new_case("statutory", london(2026, 3, 5)),
    }
    act("close", refs["LY1"], london(2025, 3, 5), closing=_closing())
    act("close", refs["LY2"], london(2025, 3, 5), closing=_closing())
    act("close", refs["H"], london(2026, 2, 10))
    act("escalate", refs["H"], london(2026, 3, 3))
    act("close", refs["F"], london(2026, 3, 4), closing=_closing())
    act("close", refs["E"], london(2026, 3, 5), closing=_closing())
    with transaction(app.sessions) as session:
        c = find_case(session, refs["C"])
        assert c is not None
        c.low_confidence, c.needs_review = True, True
    return refs


def _closing():  # type: ignore[no-untyped-def]
    from store.service import Closing

    return Closing(lessons_learned="Answered with the published dates.", lesson_theme="communication")


def test_the_digest_due_is_the_latest_scheduled_moment(ctx: JobContext) -> None:
    digest = ctx.jobs.digest
    assert latest_digest_moment(london(2026, 3, 9, 8, 0), digest) == london(2026, 3, 9, 8, 0)
    assert latest_digest_moment(london(2026, 3, 9, 7, 59), digest) == london(2026, 3, 2, 8, 0)
    assert latest_digest_moment(london(2026, 3, 15, 23, 0), digest) == london(2026, 3, 9, 8, 0)


def test_team_figures(app: Application, seeded: dict[str, str]) -> None:
    week = Period.iso_week(2026, 11)
    with transaction(app.sessions) as session:
        since = {team: london(2026, 3, 2, 8, 0) for team in _team_ids(app)}
        figures = team_figures(session, today=date(2026, 3, 9), week=week, since=since, list_limit=25)
    admissions = figures["school_admissions"]
    assert (admissions.open, admissions.due_this_week, admissions.overdue) == (3, 1, 1)
    assert (admissions.new_since_last_digest, admissions.awaiting_low_confidence_review) == (2, 1)  # C and E; C
    assert [item.reference for item in admissions.overdue_list] == [seeded["A"]]
    assert admissions.overdue_list[0].officer == "Lee Khan"
    assert [(item.reference, item.due_on) for item in admissions.due_list] == [(seeded["B"], date(2026, 3, 13))]
    crt = figures["crt"]
    assert (crt.open, crt.due_this_week, crt.overdue, crt.new_since_last_digest) == (2, 0, 0, 1)  # G and H; G
    assert (figures["sendar"].open, figures["sendar"].new_since_last_digest) == (0, 0)


def test_manager_figures(app: Application, ctx: JobContext, seeded: dict[str, str]) -> None:
    with transaction(app.sessions) as session:
        figures = manager_figures(
            session, today=date(2026, 3, 9), week=Period.iso_week(2026, 10), calendar=ctx.calendar, longest=10
        )
    volumes = figures.volumes
    # (week 10, week 9, week 10 of 2025)
    assert volumes.by_type == {"complaint": (2, 0, 0), "question": (1, 1, 2)}
    assert volumes.by_service == {
        "childrens_initial_response": (1, 0, 0),
        "school_admissions": (2, 1, 0),
        "sendar": (0, 0, 2),
    }
    assert volumes.totals == (3, 1, 2)
    assert figures.compliance.within == {"question": 1}  # E
    assert figures.compliance.exceeded == {"question": 1}  # F
    assert figures.compliance.open_past_due == {"question": 1}  # A
    assert figures.open_by_stage == {2: 1, 3: 0}
    assert figures.entered_by_stage == {2: 1, 3: 0}
    assert [(item.reference, item.working_days_overdue, item.team_name) for item in figures.longest_overdue] == [
        (seeded["A"], 1, "School Admissions")
    ]


def test_digests_go_once_a_week_to_every_team_the_crt_and_the_managers(
    seeded: dict[str, str], new_case: Callable[..., str], run: Run, outbox: Outbox
) -> None:
    before = len(outbox())
    assert run(send_weekly_digests, london(2026, 3, 9, 8, 30)) == 17 + 1 + 4
    assert run(send_weekly_digests, london(2026, 3, 9, 8, 45)) == 0
    assert run(send_weekly_digests, london(2026, 3, 13, 16, 0)) == 0
    digests = outbox()[before:]
    managers = sorted(mail.to for mail in digests if mail.key.startswith("digest:managers:2026-W11:"))
    assert managers == sorted([CRT_EMAIL, *MANAGERS])
    admissions = next(mail for mail in digests if mail.key == "digest:team:school_admissions:2026-W11")
    assert admissions.to == "admissions@council.example"
    assert admissions.subject == "Weekly digest for School Admissions, 9 March 2026 to 15 March 2026 (2026-W11)"
    lines = [" ".join(line.split()) for line in admissions.text.splitlines()]
    assert "Open cases: 3" in lines
    assert "Due this week: 1" in lines
    assert "Overdue: 1" in lines
    assert "New since the last digest (Monday 2 March 2026 08:00): 2" in lines
    assert "Waiting for review of low-confidence suggestions: 1" in lines
    assert any(
        line.startswith(f"{seeded['A']} question, stage 1, was due Friday 6 March 2026, Lee Khan") for line in lines
    )
    to_managers = next(mail for mail in digests if mail.key == f"digest:managers:2026-W11:{CRT_EMAIL}")
    manager_lines = [" ".join(line.split()) for line in to_managers.text.splitlines()]
    assert "question 1 1 2" in manager_lines
    assert "all 3 1 2" in manager_lines
    assert "question 1 1 50.0% 1" in manager_lines
    assert any(line.startswith(f"{seeded['A']} 1 working days late") for line in manager_lines)

    # The next week's "new since the last digest" counts from when this one went.
    new_case("question", london(2026, 3, 10), team="school_admissions")
    run(send_weekly_digests, london(2026, 3, 16, 8, 0))
    next_week = next(mail for mail in outbox() if mail.key == "digest:team:school_admissions:2026-W12")
    assert "New since the last digest (Monday 9 March 2026 08:30): 1" in [
        " ".join(line.split()) for line in next_week.text.splitlines()
    ]


def test_after_downtime_only_the_latest_missed_digest_goes(seeded: dict[str, str], run: Run, outbox: Outbox) -> None:
    # Down from before 9 March until Wednesday 18 March: week 12's digest goes (once), week 11's never.
    assert run(send_weekly_digests, london(2026, 3, 18, 12)) == 22
    keys = {mail.key for mail in outbox() if mail.kind == "digest"}
    assert all(":2026-W12" in key for key in keys)


def _team_ids(app: Application) -> list[str]:
    return [team.id for team in app.settings.teams]
