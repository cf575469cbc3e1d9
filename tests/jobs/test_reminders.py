"""SLA reminders and escalations: at each point, once, only on working days within working hours.

A statutory stage 1 complaint received Monday 2 March 2026 is due Monday 16 March (10 working days); its
reminder points are Wednesday 11 March (3 working days before) and the due day.
"""

from __future__ import annotations

from collections.abc import Callable

from jobs_support import CRT_EMAIL, Sent, london

from jobs.reminders import point_due, send_sla_reminders

OFFICER = "chris.owen@council.example"
MANAGER = "dana.hughes@council.example"
CIR = "cir@council.example"
Run = Callable[..., int]
Outbox = Callable[[], list[Sent]]


def test_the_point_due_is_the_nearest_reached() -> None:
    assert point_due((3, 0), 5) is None
    assert point_due((3, 0), 3) == 3
    assert point_due((3, 0), 1) == 3  # late (after downtime): still the 3-day reminder, sent once
    assert point_due((3, 0), 0) == 0


def test_the_owner_is_reminded_at_each_point_and_the_managers_told_on_breach_each_once(
    new_case: Callable[..., str], run: Run, outbox: Outbox
) -> None:
    reference = new_case("statutory", london(2026, 3, 2, 9, 30), team="childrens_initial_response", officer=OFFICER)

    assert run(send_sla_reminders, london(2026, 3, 10)) == 0  # 4 working days left
    assert run(send_sla_reminders, london(2026, 3, 11)) == 1
    assert run(send_sla_reminders, london(2026, 3, 11, 15)) == 0  # the same point again: nothing
    assert run(send_sla_reminders, london(2026, 3, 13)) == 0
    assert run(send_sla_reminders, london(2026, 3, 16)) == 1
    assert run(send_sla_reminders, london(2026, 3, 17)) == 1
    assert run(send_sla_reminders, london(2026, 3, 18)) == 0

    sent = outbox()
    assert [(mail.kind, mail.to) for mail in sent] == [
        ("reminder", OFFICER),
        ("reminder", OFFICER),
        ("escalation", OFFICER),
        ("escalation", MANAGER),
    ]
    assert sent[0].subject == (f"[{reference}] Due in 3 working days: the stage 1 response, by Monday 16 March 2026")
    assert sent[1].subject == f"[{reference}] Due today: the stage 1 response"
    assert sent[2].subject == (
        f"[{reference}] Overdue by 1 working day: the stage 1 response was due Monday 16 March 2026"
    )
    # The reference, what is due, by when and a link: never the complaint's words or the child's details.
    assert f"http://127.0.0.1:8000/api/cases/{reference}" in sent[0].text
    assert "school place" not in sent[0].text and "Jo Bloggs" not in sent[0].text


def test_an_unassigned_case_reminds_the_team_address(new_case: Callable[..., str], run: Run, outbox: Outbox) -> None:
    new_case("statutory", london(2026, 3, 2, 9, 30), team="childrens_initial_response")
    run(send_sla_reminders, london(2026, 3, 11))
    assert [mail.to for mail in outbox()] == [CIR]


def test_nothing_goes_at_weekends_on_bank_holidays_or_outside_working_hours(
    new_case: Callable[..., str], run: Run, outbox: Outbox
) -> None:
    # Received Monday 23 March: due Wednesday 8 April, after Good Friday (3 April) and Easter Monday (6 April).
    new_case("statutory", london(2026, 3, 23, 9, 30), team="childrens_initial_response", officer=OFFICER)

    assert run(send_sla_reminders, london(2026, 4, 1, 8, 59)) == 0  # before 09:00
    assert run(send_sla_reminders, london(2026, 4, 1, 17, 0)) == 0  # from 17:00
    assert run(send_sla_reminders, london(2026, 4, 1, 2, 0)) == 0  # never at 2 a.m.
    for holiday_or_weekend in (london(2026, 4, 3), london(2026, 4, 4), london(2026, 4, 5), london(2026, 4, 6)):
        assert run(send_sla_reminders, holiday_or_weekend) == 0
    assert run(send_sla_reminders, london(2026, 4, 1, 9, 0)) == 1  # Wednesday 1 April: 3 working days before
    assert run(send_sla_reminders, london(2026, 4, 8, 16, 59)) == 1  # the due day
    assert len(outbox()) == 2


def test_after_downtime_a_missed_reminder_goes_once_and_a_long_missed_one_gives_way_to_the_overdue_notice(
    new_case: Callable[..., str], run: Run, outbox: Outbox
) -> None:
    first = new_case("statutory", london(2026, 3, 2, 9, 30), team="childrens_initial_response", officer=OFFICER)
    # Down from 2 March until Friday 13 March: the 3-day reminder (due 11 March) goes once, saying 1 day left.
    assert run(send_sla_reminders, london(2026, 3, 13)) == 1
    assert run(send_sla_reminders, london(2026, 3, 13, 11)) == 0
    assert outbox()[0].subject == f"[{first}] Due in 1 working day: the stage 1 response, by Monday 16 March 2026"

    second = new_case("statutory", london(2026, 3, 3, 9, 30), team="childrens_initial_response", officer=OFFICER)
    # Down until 20 March, past the second case's due day (17 March): only its overdue notice, no reminders.
    run(send_sla_reminders, london(2026, 3, 20))
    about_second = [mail for mail in outbox() if second in mail.subject]
    assert {mail.kind for mail in about_second} == {"escalation"}
    assert about_second[0].subject.startswith(f"[{second}] Overdue by 3 working days")


def test_an_extended_deadline_is_reminded_again_for_its_new_date(
    new_case: Callable[..., str], act: Callable[..., None], run: Run, outbox: Outbox
) -> None:
    reference = new_case("statutory", london(2026, 3, 2, 9, 30), team="childrens_initial_response", officer=OFFICER)
    run(send_sla_reminders, london(2026, 3, 16))
    act("extend", reference, london(2026, 3, 16, 11), days=5)  # now due Monday 23 March
    assert run(send_sla_reminders, london(2026, 3, 17)) == 0
    assert run(send_sla_reminders, london(2026, 3, 18)) == 1
    assert outbox()[-1].subject.endswith("by Monday 23 March 2026")


def test_a_breach_at_stage_2_also_tells_the_crt(
    new_case: Callable[..., str], act: Callable[..., None], run: Run, outbox: Outbox
) -> None:
    reference = new_case("statutory", london(2026, 3, 2, 9, 30), team="childrens_initial_response", officer=OFFICER)
    act("close", reference, london(2026, 3, 5))
    act("escalate", reference, london(2026, 3, 9))  # stage 2: 25 working days, due Wednesday 15 April (after Easter)
    outbox_before = len(outbox())
    run(send_sla_reminders, london(2026, 4, 16))
    escalations = outbox()[outbox_before:]
    # Stage 2 belongs to the CRT: its address (the owner, unassigned) and its manager, each once.
    assert sorted(mail.to for mail in escalations) == ["alex.morgan@council.example", CRT_EMAIL]
    assert all(mail.subject.startswith(f"[{reference}] Overdue") for mail in escalations)


def test_closed_cases_are_not_reminded(new_case: Callable[..., str], act: Callable[..., None], run: Run) -> None:
    reference = new_case("statutory", london(2026, 3, 2, 9, 30), team="childrens_initial_response", officer=OFFICER)
    act("close", reference, london(2026, 3, 4))
    assert run(send_sla_reminders, london(2026, 3, 11)) == 0
    assert run(send_sla_reminders, london(2026, 3, 17)) == 0
