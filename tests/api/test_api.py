"""Every operation of `/api/v1/`, as a client sees it: what it answers, what it changes, what
the candidate hears, and how it refuses (problem documents, never a 500)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from heardback.api.keys import create_key, revoke_key
from heardback.hiring.models import Application, Event, Job, Stage
from heardback.messaging import delivery
from heardback.messaging.links import LINK_SLOT, REDACTED
from heardback.messaging.models import Message
from heardback.portal import tokens
from heardback.promises import scheduler
from tests.api.conftest import ApiClient, World, client_for
from tests.smtp import SmtpServer

PROBLEM = "application/problem+json"
LINK = re.compile(r"/s/([^/\s\"'<>&]+)/")


def apply(api: ApiClient, job: Job, name: str = "Ada Lovelace", **extra: Any) -> dict[str, Any]:
    email = extra.pop("email", name.split()[0].lower() + "@example.net")
    response = api.post("/applications", {"job_id": job.pk, "name": name, "email": email, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def stages_of(job: Job) -> list[Stage]:
    return list(Stage.objects.filter(pipeline_id=job.pipeline_id).order_by("position"))


def kinds(application_id: int) -> list[str]:
    return list(
        Message.objects.filter(application_id=application_id)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def assert_problem(response: Any, status: int, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://heardback.org/problems/")
    assert body["title"]
    if fields:
        assert {e["field"] for e in body["errors"]} >= set(fields), body
    return body


# --- jobs ----------------------------------------------------------------------------------


def test_jobs_are_listed_for_the_keys_org_only_and_filter_by_status(
    api: ApiClient, acme: World, globex: World
) -> None:
    on_hold = api.post("/jobs", {"title": "Gear Grinder"}).json()
    api.post(f"/jobs/{on_hold['id']}/hold")

    everything = api.get("/jobs").json()
    assert [j["title"] for j in everything["items"]] == ["Robot Whisperer", "Gear Grinder"]
    assert everything["next_cursor"] is None
    assert globex.job.pk not in {j["id"] for j in everything["items"]}
    assert [j["id"] for j in api.get("/jobs", status="on_hold").json()["items"]] == [on_hold["id"]]
    assert [j["id"] for j in api.get("/jobs", status="open").json()["items"]] == [acme.job.pk]
    assert api.get("/jobs", status="closed").json()["items"] == []


def test_jobs_page_through_with_a_cursor(api: ApiClient, acme: World) -> None:
    for n in range(4):
        api.post("/jobs", {"title": f"Job {n}"})
    first = api.get("/jobs", limit=2).json()
    second = api.get("/jobs", limit=2, cursor=first["next_cursor"]).json()
    third = api.get("/jobs", limit=2, cursor=second["next_cursor"]).json()
    titles = [j["title"] for page in (first, second, third) for j in page["items"]]
    assert titles == ["Robot Whisperer", "Job 0", "Job 1", "Job 2", "Job 3"]
    assert third["next_cursor"] is None


def test_creating_a_job_answers_201_owned_by_the_keys_creator_or_the_member_named(
    api: ApiClient, acme: World
) -> None:
    response = api.post("/jobs", {"title": "Robot Tamer", "location": "Berlin"})
    assert response.status_code == 201
    job = response.json()
    assert job["status"] == "open" and job["slug"] == "robot-tamer"
    assert job["owner"]["email"] == acme.admin.email
    assert Job.objects.get(pk=job["id"]).org == acme.org

    owned = api.post("/jobs", {"title": "Bolt Counter", "owner_email": "RITA@acme.example"})
    assert owned.json()["owner"]["id"] == acme.recruiter.pk
    nobody = api.post("/jobs", {"title": "Bolt Counter", "owner_email": "who@else.example"})
    assert_problem(nobody, 422, "owner_email")


def test_getting_a_job_and_an_unknown_one(api: ApiClient, acme: World) -> None:
    job = api.get(f"/jobs/{acme.job.pk}").json()
    assert job["title"] == "Robot Whisperer"
    assert job["owner"] == {
        "id": acme.recruiter.pk,
        "name": acme.recruiter.display_name,
        "email": "rita@acme.example",
    }
    assert_problem(api.get("/jobs/999999"), 404)


def test_patching_a_job_changes_only_what_is_sent(api: ApiClient, acme: World) -> None:
    response = api.patch(
        f"/jobs/{acme.job.pk}", {"title": "Senior Robot Whisperer", "owner_email": acme.admin.email}
    )
    assert response.status_code == 200, response.content
    job = response.json()
    assert job["title"] == "Senior Robot Whisperer"
    assert job["owner"]["id"] == acme.admin.pk
    again = api.patch(f"/jobs/{acme.job.pk}", {"location": "Hamburg"}).json()
    assert (again["title"], again["location"]) == ("Senior Robot Whisperer", "Hamburg")
    assert_problem(api.patch(f"/jobs/{acme.job.pk}", {"title": "   "}), 422, "title")


def test_a_job_on_hold_takes_no_applications_until_resumed(api: ApiClient, acme: World) -> None:
    held = api.post(f"/jobs/{acme.job.pk}/hold")
    assert held.status_code == 200 and held.json()["status"] == "on_hold"
    refused = api.post(
        "/applications", {"job_id": acme.job.pk, "name": "Ada", "email": "ada@example.net"}
    )
    assert_problem(refused, 422)
    assert_problem(api.post(f"/jobs/{acme.job.pk}/hold"), 422)

    resumed = api.post(f"/jobs/{acme.job.pk}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "open"
    apply(api, acme.job)
    assert_problem(api.post(f"/jobs/{acme.job.pk}/resume"), 422)


def test_closing_a_job_closes_out_its_candidates_and_reopening_restores_them(
    api: ApiClient, acme: World
) -> None:
    ada, bo = apply(api, acme.job), apply(api, acme.job, "Bo Diddley")
    closed = api.post(f"/jobs/{acme.job.pk}/close", {"outcome": "filled"})
    assert closed.status_code == 202, closed.content
    assert closed.json() | {"id": 0} == {
        "id": 0,
        "outcome": "filled",
        "total": 2,
        "done": 0,
        "finished_at": None,
    }
    assert api.get(f"/jobs/{acme.job.pk}").json()["status"] == "filled"
    scheduler.run_until_idle()
    for application in (ada, bo):
        assert api.get(f"/applications/{application['id']}").json()["status"] == "declined"
        assert kinds(application["id"]) == ["acknowledgement", "close_out"]
    assert_problem(api.post(f"/jobs/{acme.job.pk}/close", {"outcome": "closed"}), 422)

    reopened = api.post(f"/jobs/{acme.job.pk}/reopen")
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    for application in (ada, bo):
        assert api.get(f"/applications/{application['id']}").json()["status"] == "active"
    assert_problem(api.post(f"/jobs/{acme.job.pk}/reopen"), 422)


def test_a_jobs_stages_come_in_order_with_their_promises(api: ApiClient, acme: World) -> None:
    stages = api.get(f"/jobs/{acme.job.pk}/stages").json()
    assert [s["position"] for s in stages] == list(range(len(stages)))
    assert stages[0] | {"id": 0} == {
        "id": 0,
        "name": "Applied",
        "position": 0,
        "coarse_stage": "received",
        "promise_business_days": 5,
    }
    assert {s["id"] for s in stages} == {s.pk for s in stages_of(acme.job)}


# --- applying ------------------------------------------------------------------------------


def test_applying_acknowledges_the_candidate_by_email_with_a_dated_promise(
    api: ApiClient, acme: World, smtp_server: SmtpServer
) -> None:
    response = api.post(
        "/applications",
        {
            "job_id": acme.job.pk,
            "name": "Ada Lovelace",
            "email": "ada@example.net",
            "time_zone": "Europe/London",
        },
    )
    assert response.status_code == 201, response.content
    application = response.json()
    assert application["status"] == "active"
    assert application["candidate"]["time_zone"] == "Europe/London"
    assert application["stage"]["coarse_stage"] == "received"
    # Monday 30 Nov + 5 business days, at the end of the candidate's day.
    assert application["respond_by"].startswith("2026-12-07")
    assert application["overdue"] is False

    report = delivery.drain()
    assert report.sent == 1 and report.failed == 0
    [mail] = smtp_server.to("ada@example.net")
    assert "Robot Whisperer" in mail.subject
    assert "Mon 7 Dec" in mail.text
    [token] = LINK.findall(mail.text)
    assert tokens.lookup(token) is not None  # the email carries a working status link
    event = Event.objects.get(application_id=application["id"], kind="applied")
    assert event.data == {"source": "api"} and event.actor == acme.admin.user


def test_applying_again_with_the_same_email_answers_200_and_sends_nothing_new(
    api: ApiClient, acme: World
) -> None:
    first = apply(api, acme.job, email="ada@example.net")
    again = api.post(
        "/applications",
        {"job_id": acme.job.pk, "name": "Ada L.", "email": " ADA@example.net "},
    )
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first["id"]
    assert Application.objects.filter(job=acme.job).count() == 1
    assert kinds(first["id"]) == ["acknowledgement"]


def test_applying_with_input_the_rules_refuse_lists_each_field(api: ApiClient, acme: World) -> None:
    response = api.post(
        "/applications",
        {"job_id": acme.job.pk, "name": " ", "email": "not-an-email", "time_zone": "Mars/Base"},
    )
    body = assert_problem(response, 422, "name", "email", "time_zone")
    assert "Mars/Base" in body["detail"]
    assert Application.objects.count() == 0


def test_applying_to_another_orgs_job_is_not_found(
    api: ApiClient, acme: World, globex: World
) -> None:
    response = api.post(
        "/applications", {"job_id": globex.job.pk, "name": "Ada", "email": "ada@example.net"}
    )
    assert_problem(response, 404)
    assert Application.objects.count() == 0


# --- listing applications --------------------------------------------------------------------


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [a["id"] for a in response.json()["items"]]


def test_applications_filter_by_job_stage_and_status(api: ApiClient, acme: World) -> None:
    other = api.post("/jobs", {"title": "Gear Grinder"}).json()
    ada, bo = apply(api, acme.job), apply(api, acme.job, "Bo Diddley")
    cy = apply(api, Job.objects.get(pk=other["id"]), "Cy Twombly")
    screen = stages_of(acme.job)[1]
    api.post(f"/applications/{bo['id']}/move", {"stage_id": screen.pk})
    api.post(f"/applications/{cy['id']}/withdraw")

    assert ids(api.get("/applications")) == [ada["id"], bo["id"], cy["id"]]
    assert ids(api.get("/applications", job_id=acme.job.pk)) == [ada["id"], bo["id"]]
    assert ids(api.get("/applications", job_id=other["id"])) == [cy["id"]]
    assert ids(api.get("/applications", stage_id=screen.pk)) == [bo["id"]]
    assert ids(api.get("/applications", status="withdrawn")) == [cy["id"]]
    assert ids(api.get("/applications", status="active", job_id=acme.job.pk)) == [
        ada["id"],
        bo["id"],
    ]
    assert ids(api.get("/applications", job_id=acme.job.pk, stage_id=screen.pk)) == [bo["id"]]


def test_applications_filter_by_overdue_now(
    api: ApiClient, acme: World, time_machine: Any, monday: datetime
) -> None:
    ada, bo = apply(api, acme.job), apply(api, acme.job, "Bo Diddley")
    api.post(f"/applications/{bo['id']}/extend", {"business_days": 10})
    time_machine.move_to(monday + timedelta(days=8), tick=False)  # past Ada's promise only

    assert ids(api.get("/applications", overdue="true")) == [ada["id"]]
    assert ids(api.get("/applications", overdue="false")) == [bo["id"]]
    assert api.get(f"/applications/{ada['id']}").json()["overdue"] is True
    assert api.get(f"/applications/{bo['id']}").json()["overdue"] is False


def test_applications_filter_by_updated_since(
    api: ApiClient, acme: World, time_machine: Any, monday: datetime
) -> None:
    ada, bo = apply(api, acme.job), apply(api, acme.job, "Bo Diddley")
    time_machine.move_to(monday + timedelta(days=1), tick=False)
    api.post(f"/applications/{bo['id']}/move", {"stage_id": stages_of(acme.job)[1].pk})

    since = (monday + timedelta(hours=12)).isoformat()
    assert ids(api.get("/applications", updated_since=since)) == [bo["id"]]
    assert ids(api.get("/applications", updated_since=monday.isoformat())) == [
        ada["id"],
        bo["id"],
    ]
    # Any offset is read, even one PostgreSQL would not take; no offset means UTC.
    odd = "2026-11-30T00:00:00-22:08"  # 22:08 UTC, after Ada applied
    assert ids(api.get("/applications", updated_since=odd)) == [bo["id"]]
    assert len(ids(api.get("/applications", updated_since="2026-11-30T09:59:59"))) == 2
    for bad in ("last tuesday", "0.5", "1764496800", "2026-13-45T99:00:00Z"):
        assert_problem(api.get("/applications", updated_since=bad), 400, "updated_since")


def test_applications_page_by_cursor_without_gaps_or_repeats_while_rows_are_added(
    api: ApiClient, acme: World
) -> None:
    made = [apply(api, acme.job, f"Person{n} Test")["id"] for n in range(5)]
    first = api.get("/applications", limit=2).json()
    assert [a["id"] for a in first["items"]] == made[:2] and first["next_cursor"]
    made.append(apply(api, acme.job, "Late Comer")["id"])  # arrives between two pages
    seen = [a["id"] for a in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get("/applications", limit=2, cursor=cursor).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
    assert seen == made
    # The limit is clamped to 1..200.
    assert len(api.get("/applications", limit=0).json()["items"]) == 1
    assert len(api.get("/applications", limit=10**6).json()["items"]) == 6


@pytest.mark.parametrize("cursor", ["nonsense", "aWQ6eA", "eHg6MQ", "%%%"])
def test_a_cursor_we_did_not_give_out_is_refused(api: ApiClient, acme: World, cursor: str) -> None:
    assert_problem(api.get("/applications", cursor=cursor), 422, "cursor")


# --- one application -------------------------------------------------------------------------


def test_getting_an_application(api: ApiClient, acme: World) -> None:
    made = apply(api, acme.job, phone="+49 30 1234")
    got = api.get(f"/applications/{made['id']}").json()
    assert got == made
    assert got["candidate"] | {"id": 0} == {
        "id": 0,
        "name": "Ada Lovelace",
        "email": "ada@example.net",
        "phone": "+49 30 1234",
        "language": "en",
        "time_zone": "Europe/Berlin",
        "progress_updates_opt_out": False,
        "unreachable": False,
    }
    assert_problem(api.get("/applications/987654"), 404)


def test_moving_to_a_stage_tells_the_candidate_and_renews_the_promise(
    api: ApiClient, acme: World
) -> None:
    made = apply(api, acme.job)
    interview = stages_of(acme.job)[3]
    moved = api.post(f"/applications/{made['id']}/move", {"stage_id": interview.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["stage"] == {
        "id": interview.pk,
        "name": "Interview",
        "coarse_stage": "interview",
    }
    assert moved.json()["respond_by"] > made["respond_by"]
    assert kinds(made["id"]) == ["acknowledgement", "stage_update"]
    assert_problem(api.post(f"/applications/{made['id']}/move", {"stage_id": interview.pk}), 422)


def test_moving_to_a_stage_of_another_job_or_org_is_refused(
    api: ApiClient, acme: World, globex: World
) -> None:
    made = apply(api, acme.job)
    other = api.post("/jobs", {"title": "Gear Grinder"}).json()
    theirs = stages_of(Job.objects.get(pk=other["id"]))[1]
    assert_problem(api.post(f"/applications/{made['id']}/move", {"stage_id": theirs.pk}), 422)
    foreign = stages_of(globex.job)[1]
    assert_problem(
        api.post(f"/applications/{made['id']}/move", {"stage_id": foreign.pk}), 422, "stage_id"
    )
    assert kinds(made["id"]) == ["acknowledgement"]


def test_declining_now_tells_the_candidate_at_once(api: ApiClient, acme: World) -> None:
    made = apply(api, acme.job)
    response = api.post(
        f"/applications/{made['id']}/decline",
        {"reason": "experience", "delay_business_days": 0},
    )
    assert response.status_code == 200, response.content
    declined = response.json()
    assert (declined["status"], declined["decline_reason"]) == ("declined", "experience")
    assert declined["decided_at"] and declined["pending_decline_at"] is None
    assert kinds(made["id"]) == ["acknowledgement", "decline"]
    again = api.post(f"/applications/{made['id']}/decline", {"reason": "other"})
    assert_problem(again, 422)


def test_a_held_decline_changes_nothing_the_candidate_sees_until_it_is_sent(
    api: ApiClient, acme: World, time_machine: Any, monday: datetime
) -> None:
    made = apply(api, acme.job)
    response = api.post(
        f"/applications/{made['id']}/decline",
        {
            "reason": "other_candidate",
            "delay_business_days": 2,
            "subject": "About {{ job_title }}",
            "body": "Dear {{ first_name }}, we chose someone else. Thank you.",
        },
    )
    assert response.status_code == 200, response.content
    held = response.json()
    assert held["status"] == "active"
    assert held["pending_decline_at"].startswith("2026-12-02")
    assert kinds(made["id"]) == ["acknowledgement"]

    time_machine.move_to(monday + timedelta(days=2, hours=2), tick=False)
    scheduler.run_until_idle()
    sent = api.get(f"/applications/{made['id']}").json()
    assert (sent["status"], sent["decline_reason"]) == ("declined", "other_candidate")
    assert kinds(made["id"]) == ["acknowledgement", "decline"]
    decline = Message.objects.get(application_id=made["id"], kind="decline")
    assert decline.subject == "About Robot Whisperer"
    assert "Dear Ada, we chose someone else." in decline.body_text


def test_cancelling_a_held_decline_restores_the_application(api: ApiClient, acme: World) -> None:
    made = apply(api, acme.job)
    assert_problem(api.post(f"/applications/{made['id']}/decline/cancel"), 422)
    api.post(
        f"/applications/{made['id']}/decline", {"reason": "location", "delay_business_days": 3}
    )
    scheduled = api.post(f"/applications/{made['id']}/decline", {"reason": "other"})
    assert_problem(scheduled, 422)  # one held decline at a time

    cancelled = api.post(f"/applications/{made['id']}/decline/cancel")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["pending_decline_at"] is None
    assert cancelled.json()["status"] == "active"
    scheduler.run_until_idle()
    assert kinds(made["id"]) == ["acknowledgement"]
    assert Event.objects.filter(application_id=made["id"], kind="decline_cancelled").exists()


def test_a_custom_decline_text_that_does_not_render_is_refused(api: ApiClient, acme: World) -> None:
    made = apply(api, acme.job)
    response = api.post(
        f"/applications/{made['id']}/decline",
        {"reason": "other", "delay_business_days": 0, "body": "Hi {% include 'x' %}"},
    )
    assert_problem(response, 422)
    assert api.get(f"/applications/{made['id']}").json()["status"] == "active"


def test_hiring_and_withdrawing_finish_an_application_once(api: ApiClient, acme: World) -> None:
    ada, bo = apply(api, acme.job), apply(api, acme.job, "Bo Diddley")
    hired = api.post(f"/applications/{ada['id']}/hire")
    assert hired.status_code == 200 and hired.json()["status"] == "hired"
    withdrawn = api.post(f"/applications/{bo['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert kinds(ada["id"]) == ["acknowledgement", "hired"]
    assert kinds(bo["id"]) == ["acknowledgement", "withdrawn"]
    for done in (ada, bo):
        assert_problem(api.post(f"/applications/{done['id']}/hire"), 422)
        assert_problem(api.post(f"/applications/{done['id']}/withdraw"), 422)


def test_extending_moves_the_promise_and_tells_the_candidate_why(
    api: ApiClient, acme: World
) -> None:
    made = apply(api, acme.job)
    response = api.post(
        f"/applications/{made['id']}/extend",
        {"business_days": 3, "note": "The hiring manager is travelling."},
    )
    assert response.status_code == 200, response.content
    assert response.json()["respond_by"].startswith("2026-12-03")
    assert kinds(made["id"]) == ["acknowledgement", "more_time"]
    more_time = Message.objects.get(application_id=made["id"], kind="more_time")
    assert "The hiring manager is travelling." in more_time.body_text
    for days in (0, 21):
        assert_problem(
            api.post(f"/applications/{made['id']}/extend", {"business_days": days}),
            400,
            "business_days",
        )


def test_notes_are_added_for_the_team_only(api: ApiClient, acme: World) -> None:
    made = apply(api, acme.job)
    response = api.post(f"/applications/{made['id']}/notes", {"text": "Strong portfolio."})
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["text"] == "Strong portfolio."
    event = Event.objects.get(pk=note["id"])
    assert (event.kind, event.application_id, event.actor) == ("note", made["id"], acme.admin.user)
    assert kinds(made["id"]) == ["acknowledgement"]
    assert_problem(api.post(f"/applications/{made['id']}/notes", {"text": ""}), 400, "text")


def test_messages_show_what_was_sent_without_a_live_status_link(
    api: ApiClient, acme: World, smtp_server: SmtpServer
) -> None:
    made = apply(api, acme.job)
    api.post(f"/applications/{made['id']}/move", {"stage_id": stages_of(acme.job)[1].pk})
    api.post(f"/applications/{made['id']}/extend", {"business_days": 2, "note": "Sorry!"})
    before = api.get(f"/applications/{made['id']}/messages").json()
    assert [m["status"] for m in before] == ["queued"] * 3

    assert delivery.drain().sent == 3
    response = api.get(f"/applications/{made['id']}/messages")
    messages = response.json()
    assert [m["kind"] for m in messages] == ["acknowledgement", "stage_update", "more_time"]
    assert {m["status"] for m in messages} == {"sent"}
    assert all(m["sent_at"] and m["attempts"] == 1 for m in messages)
    assert REDACTED in messages[0]["body_text"]
    assert LINK_SLOT not in response.content.decode()

    mails = smtp_server.to("ada@example.net")
    sent_tokens = {token for mail in mails for token in LINK.findall(mail.text)}
    assert sent_tokens and all(tokens.lookup(t) is not None for t in sent_tokens)
    text = response.content.decode()
    assert not any(token in text for token in sent_tokens)
    assert all(tokens.lookup(t) is None for m in messages for t in LINK.findall(m["body_text"]))


def test_metrics_for_the_org_and_for_one_job(
    api: ApiClient, acme: World, smtp_server: SmtpServer
) -> None:
    other = api.post("/jobs", {"title": "Gear Grinder"}).json()
    ada, _bo = apply(api, acme.job), apply(api, acme.job, "Bo Diddley")
    apply(api, Job.objects.get(pk=other["id"]), "Cy Twombly")
    api.post(f"/applications/{ada['id']}/decline", {"reason": "other", "delay_business_days": 0})

    org = api.get("/metrics").json()
    assert (org["applications"], org["active"], org["finished"]) == (3, 2, 1)
    assert (org["heard_back"], org["hear_back_rate"]) == (0, 0.0)  # not sent yet
    delivery.drain()
    org = api.get("/metrics").json()
    assert (org["heard_back"], org["hear_back_rate"]) == (1, 1.0)
    assert org["overdue_now"] == 0
    job = api.get("/metrics", job_id=other["id"]).json()
    assert (job["applications"], job["active"], job["finished"]) == (1, 1, 0)
    assert job["hear_back_rate"] is None
    assert_problem(api.get("/metrics", job_id=999999), 404)


# --- refusing bad input ------------------------------------------------------------------------

HUGE = "x" * 100_000
BAD_INPUT = [
    # (method, path, body or query, status, fields)
    ("post", "/jobs", {"title": HUGE}, 400, ["title"]),
    ("post", "/jobs", {"title": "ok", "description": "y" * 20_001}, 400, ["description"]),
    ("post", "/jobs", {"title": 42}, 400, ["title"]),
    ("post", "/jobs", {"title": ["a"]}, 400, ["title"]),
    ("post", "/jobs", {}, 400, ["title"]),
    ("post", "/jobs", {"title": "a\x00b"}, 400, ["title"]),
    ("post", "/jobs", {"title": "ok", "location": "\x00"}, 400, ["location"]),
    ("post", "/jobs", {"title": "ok", "owner_email": "a\x00@b.c"}, 400, ["owner_email"]),
    ("patch", "/jobs/{job}", {"description": "\x00", "title": 5}, 400, ["description", "title"]),
    ("post", "/jobs/{job}/close", {"outcome": "abandoned"}, 400, ["outcome"]),
    ("post", "/applications", {"job_id": "{job}", "name": "A", "email": 5}, 400, ["email"]),
    ("post", "/applications", {"job_id": "x", "name": "A", "email": "a@b.de"}, 400, ["job_id"]),
    ("post", "/applications", {"job_id": 10**30, "name": "A", "email": "a@b.de"}, 400, ["job_id"]),
    ("post", "/applications", {"job_id": -1, "name": "A", "email": "a@b.de"}, 400, ["job_id"]),
    (
        "post",
        "/applications",
        {"job_id": "{job}", "name": "A\x00", "email": "a@b.de"},
        400,
        ["name"],
    ),
    (
        "post",
        "/applications",
        {"job_id": "{job}", "name": HUGE, "email": HUGE},
        400,
        ["name", "email"],
    ),
    (
        "post",
        "/applications",
        {"job_id": "{job}", "name": "A", "email": "a@b.de", "language": "xx"},
        400,
        ["language"],
    ),
    (
        "post",
        "/applications",
        {"job_id": "{job}", "name": "A", "email": "a@b.de", "time_zone": "\x00"},
        400,
        ["time_zone"],
    ),
    (
        "post",
        "/applications",
        {"job_id": "{job}", "name": "A", "email": "a@b.de", "phone": 12345},
        400,
        ["phone"],
    ),
    ("post", "/applications/{app}/decline", {"reason": "too_tall"}, 400, ["reason"]),
    (
        "post",
        "/applications/{app}/decline",
        {"reason": "other", "delay_business_days": 6},
        400,
        ["delay_business_days"],
    ),
    (
        "post",
        "/applications/{app}/decline",
        {"reason": "other", "delay_business_days": "soon"},
        400,
        ["delay_business_days"],
    ),
    ("post", "/applications/{app}/decline", {"reason": "other", "body": "\x00"}, 400, ["body"]),
    ("post", "/applications/{app}/decline", {"reason": "other", "subject": HUGE}, 400, ["subject"]),
    ("post", "/applications/{app}/extend", {"business_days": "three"}, 400, ["business_days"]),
    ("post", "/applications/{app}/extend", {"business_days": 2, "note": HUGE}, 400, ["note"]),
    ("post", "/applications/{app}/extend", {"business_days": 2, "note": "\x00"}, 400, ["note"]),
    ("post", "/applications/{app}/move", {"stage_id": None}, 400, ["stage_id"]),
    ("post", "/applications/{app}/move", {"stage_id": 2**63}, 400, ["stage_id"]),
    ("post", "/applications/{app}/notes", {"text": HUGE}, 400, ["text"]),
    ("post", "/applications/{app}/notes", {"text": "\x00"}, 400, ["text"]),
    ("post", "/applications/{app}/notes", {"text": {"nested": True}}, 400, ["text"]),
    ("get", "/jobs", {"status": "deleted"}, 400, ["status"]),
    ("get", "/jobs", {"limit": "many"}, 400, ["limit"]),
    ("get", "/jobs", {"cursor": "a\x00b"}, 400, ["cursor"]),
    ("get", "/applications", {"job_id": str(10**30)}, 400, ["job_id"]),
    ("get", "/applications", {"stage_id": "one"}, 400, ["stage_id"]),
    ("get", "/applications", {"status": "\x00"}, 400, ["status"]),
    ("get", "/applications", {"overdue": "perhaps"}, 400, ["overdue"]),
    ("get", "/metrics", {"job_id": "-5"}, 400, ["job_id"]),
    ("get", "/jobs/{big}", None, 400, ["job_id"]),
    ("get", "/jobs/abc", None, 400, ["job_id"]),
    ("get", "/applications/0", None, 400, ["application_id"]),
]


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, str) and value in {"{job}", "{app}"}:
        return names[value]
    return value


@pytest.mark.parametrize(("method", "path", "data", "status", "fields"), BAD_INPUT)
def test_bad_input_gets_a_problem_naming_each_field_never_a_server_error(
    api: ApiClient,
    acme: World,
    method: str,
    path: str,
    data: Any,
    status: int,
    fields: list[str],
) -> None:
    made = apply(api, acme.job)
    names = {"{job}": acme.job.pk, "{app}": made["id"]}
    url = path.format(job=acme.job.pk, app=made["id"], big=10**30)
    before = (Application.objects.count(), Event.objects.count(), Message.objects.count())
    if method == "get":
        response = api.get(url, **(data or {}))
    elif method == "patch":
        response = api.patch(url, _fill(data, names))
    else:
        response = api.post(url, _fill(data, names))
    body = assert_problem(response, status, *fields)
    assert all(e["message"] for e in body["errors"])
    after = (Application.objects.count(), Event.objects.count(), Message.objects.count())
    assert after == before


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b'"a string"', b"null", b"\xff\xfe", b'{"title": "a"'],
)
def test_a_body_that_is_not_a_json_object_is_a_400_problem(
    api: ApiClient, acme: World, raw: bytes
) -> None:
    response = api.client.post(
        "/api/v1/jobs",
        raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.raw_key}"},
    )
    body = assert_problem(response, 400)
    assert body["errors"]


def test_a_body_too_large_to_read_is_a_413_problem(api: ApiClient, acme: World) -> None:
    huge = json.dumps({"title": "x" * 3_000_000})
    for headers in ({}, {"Idempotency-Key": "big-one"}):
        response = api.client.post(
            "/api/v1/jobs",
            huge,
            content_type="application/json",
            headers={"Authorization": f"Bearer {api.raw_key}", **headers},
        )
        assert_problem(response, 413, "body")
    assert Job.objects.count() == 1


def test_an_unknown_path_under_the_api_is_a_404_problem(api: ApiClient) -> None:
    assert_problem(api.get("/candidates"), 404)
    assert_problem(api.post("/jobs/1/explode"), 404)


# --- ETags ---------------------------------------------------------------------------------


def test_a_get_carries_an_etag_and_if_none_match_answers_304_until_it_changes(
    api: ApiClient, acme: World
) -> None:
    made = apply(api, acme.job)
    path = f"/applications/{made['id']}"
    first = api.get(path)
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert api.get(path)["ETag"] == etag

    not_modified = api.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    listed = api.get(path, headers={"If-None-Match": f'"stale", {etag}'})
    assert listed.status_code == 304
    assert api.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200

    api.post(f"{path}/notes", {"text": "Notes are not part of the application."})
    assert api.get(path, headers={"If-None-Match": etag}).status_code == 304
    api.post(f"{path}/extend", {"business_days": 4})
    changed = api.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_lists_and_metrics_carry_etags_too_but_errors_and_posts_do_not(
    api: ApiClient, acme: World
) -> None:
    for path in ("/jobs", "/applications", "/metrics", f"/jobs/{acme.job.pk}/stages"):
        etag = api.get(path)["ETag"]
        assert api.get(path, headers={"If-None-Match": etag}).status_code == 304, path
    assert "ETag" not in api.get("/jobs/999999")
    assert "ETag" not in api.post("/jobs", {"title": "Gear Grinder"})


# --- throttle ----------------------------------------------------------------------------------


def test_too_many_requests_for_one_key_get_429_with_retry_after(
    api: ApiClient, acme: World, settings: Any
) -> None:
    settings.API_RATE_PER_KEY = "3/m"
    for _ in range(3):
        assert api.get("/jobs").status_code == 200
    refused = api.get("/jobs")
    body = assert_problem(refused, 429)
    seconds = int(refused["Retry-After"])
    assert 1 <= seconds <= 60
    assert str(seconds) in body["detail"]
    assert_problem(api.post("/jobs", {"title": "Too Late"}), 429)
    assert Job.objects.count() == 1
    # The limit is per key: another key of the same org is still welcome.
    assert client_for(acme, "read").get("/jobs").status_code == 200


def test_the_throttle_forgets_requests_older_than_its_period(
    api: ApiClient, acme: World, settings: Any, time_machine: Any, monday: datetime
) -> None:
    settings.API_RATE_PER_KEY = "2/s"
    assert [api.get("/jobs").status_code for _ in range(3)] == [200, 200, 429]
    time_machine.move_to(monday + timedelta(seconds=2), tick=False)
    assert api.get("/jobs").status_code == 200


# --- keys and scopes ---------------------------------------------------------------------------


def _with(raw_header: str | None, path: str = "/jobs") -> Any:
    headers = {"Authorization": raw_header} if raw_header is not None else {}
    return Client().get(f"/api/v1{path}", headers=headers)


def assert_unauthenticated(response: Any) -> None:
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="heardback"'


def test_no_key_is_401(acme: World) -> None:
    assert_unauthenticated(_with(None))
    assert_unauthenticated(Client().post("/api/v1/jobs", "{}", content_type="application/json"))


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer hb_",
        "Bearer hb__",
        "Bearer hb_abc",
        "Bearer hb_abc_def",
        "Bearer xx_abcdefgh_" + "a" * 43,
        "Bearer hb_abc\x00def_ghi",
        "Bearer hb_" + "a" * 300 + "_b",
        "Bearer hb_ünïcödé_sëcret",
        "Basic aGI6c2VjcmV0",
        "hb_abcdefgh_secret",
    ],
)
def test_a_malformed_key_is_401(acme: World, header: str) -> None:
    assert_unauthenticated(_with(header))


def test_a_key_with_a_real_prefix_and_a_wrong_secret_is_401(api: ApiClient) -> None:
    prefix = api.raw_key.split("_")[1]
    assert_unauthenticated(_with(f"Bearer hb_{prefix}_{'A' * 43}"))
    assert_unauthenticated(_with(f"Bearer {api.raw_key}x"))
    assert _with(f"bearer {api.raw_key}").status_code == 200  # the scheme is case-insensitive


def test_an_expired_key_is_401(acme: World, time_machine: Any, monday: datetime) -> None:
    _key, raw = create_key(
        actor=acme.admin, name="short", scope="read", expires_at=monday + timedelta(hours=1)
    )
    assert _with(f"Bearer {raw}").status_code == 200
    time_machine.move_to(monday + timedelta(hours=1), tick=False)
    assert_unauthenticated(_with(f"Bearer {raw}"))


def test_a_revoked_key_is_401(acme: World) -> None:
    key, raw = create_key(actor=acme.admin, name="soon gone", scope="admin")
    assert _with(f"Bearer {raw}").status_code == 200
    revoke_key(actor=acme.admin, key=key)
    assert_unauthenticated(_with(f"Bearer {raw}"))


def test_a_key_stops_working_when_its_creators_account_is_deactivated(acme: World) -> None:
    _key, raw = create_key(actor=acme.admin, name="theirs", scope="write")
    acme.admin.user.is_active = False
    acme.admin.user.save()
    assert_unauthenticated(_with(f"Bearer {raw}"))


def test_a_read_key_reads_but_every_change_is_403(acme: World) -> None:
    reader = client_for(acme, "read")
    made = apply(client_for(acme, "write"), acme.job)
    assert reader.get("/jobs").status_code == 200
    assert reader.get(f"/applications/{made['id']}").status_code == 200
    changes = [
        ("post", "/jobs", {"title": "Nope"}),
        ("patch", f"/jobs/{acme.job.pk}", {"title": "Nope"}),
        ("post", f"/jobs/{acme.job.pk}/hold", {}),
        ("post", f"/jobs/{acme.job.pk}/close", {"outcome": "closed"}),
        ("post", "/applications", {"job_id": acme.job.pk, "name": "B", "email": "b@c.de"}),
        ("post", f"/applications/{made['id']}/decline", {"reason": "other"}),
        ("post", f"/applications/{made['id']}/notes", {"text": "Nope"}),
    ]
    for method, path, body in changes:
        response = getattr(reader, method)(path, body)
        problem = assert_problem(response, 403)
        assert "read" in problem["detail"]
    assert Job.objects.count() == 1 and Application.objects.count() == 1


@pytest.mark.parametrize("scope", ["write", "admin"])
def test_write_and_admin_keys_can_change_things(acme: World, scope: str) -> None:
    writer = client_for(acme, scope)
    assert writer.post("/jobs", {"title": f"By {scope}"}).status_code == 201


@pytest.mark.parametrize(
    "query", ["statuss=active", "=null", "%C3%B3%10%C2%86=0", "status=open&limit=5&x=1"]
)
def test_an_unknown_query_parameter_is_a_problem_naming_it(api: ApiClient, query: str) -> None:
    response = api.client.get(f"/api/v1/jobs?{query}", headers=api._headers(None))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["errors"], body
    known = {"status", "limit", "cursor"}
    assert all(error["field"] not in known for error in body["errors"]), body
    # The same list with only what it accepts answers.
    assert api.get("/jobs", status="open", limit=5).status_code == 200
