"""The candidate's side, seen from the console: survey results on the dashboard, the public
report card switch on the policy page, and CV downloads on the application page."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

from django.test import Client
from django.urls import reverse

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import Event, Job, Member, Role
from heardback.portal import services as portal
from heardback.portal import survey, uploads
from heardback.portal.models import Attachment
from heardback.portal.selectors import is_public
from tests import factories
from tests.console.conftest import PDF, World, apply_with_cv, client_for

# --- survey results on the dashboard ------------------------------------------------------


def answer(
    job: Job,
    actor: Member,
    *,
    kept: str,
    nps: int,
    clarity: int = 4,
    respect: int = 5,
    invited_days_ago: int = 3,
) -> None:
    """One candidate's whole path: declined, invited to the survey, answers it."""
    application = factories.make_application(job=job)
    hiring.decline(application=application, reason="other_candidate", actor=actor)
    invited = survey.invite(application, now=clock.now() - timedelta(days=invited_days_ago))
    assert invited
    portal.answer_survey(
        application=application,
        kept_promises=kept,
        clarity=clarity,
        treated_with_respect=respect,
        nps=nps,
    )


def dashboard(member: Member) -> str:
    return client_for(member).get(reverse("console:dashboard")).content.decode()


def text_of(body: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', body, re.S)
    assert match, f"no #{element_id} on the page"
    return html.unescape(match.group(1)).strip()


def test_survey_results_are_withheld_below_ten_answers(world: World) -> None:
    for nps in (10, 3, 8):
        answer(world.job, world.recruiter, kept="yes", nps=nps)
    body = dashboard(world.admin)
    assert "What candidates told us" in body
    assert "Not enough answers yet: 3 so far" in text_of(body, "s-not-enough")
    assert 'id="s-kept"' not in body and 'id="s-nps"' not in body


def test_survey_results_with_enough_answers(world: World) -> None:
    # 12 answers: kept 6 yes / 3 mostly / 3 no; 6 promoters (9-10), 2 passives, 4 detractors
    # → NPS (6 - 4) / 12 = 16.7 → +17.
    answers = (
        [("yes", 10)] * 4
        + [("yes", 9)] * 2
        + [("mostly", 8)] * 2
        + [("mostly", 6)]
        + [("no", 0), ("no", 5), ("no", 6)]
    )
    for kept, nps in answers:
        answer(world.job, world.recruiter, kept=kept, nps=nps, clarity=3)
    # An answer from last year and one from another employer don't count.
    answer(world.job, world.recruiter, kept="no", nps=0, invited_days_ago=400)
    answer(world.other_job, world.other_admin, kept="no", nps=0)
    body = dashboard(world.admin)
    assert "s-not-enough" not in body
    assert text_of(body, "s-answers") == "12"
    assert text_of(body, "s-kept") == "50%"
    assert "said yes · 25% mostly · 25% no" in body
    assert text_of(body, "s-nps") == "+17"
    assert "3.0<" in body  # clarity average
    # A hiring manager sees the same org-wide survey (too few answers to split by job).
    assert text_of(dashboard(world.manager), "s-nps") == "+17"


def test_a_negative_score_has_its_sign(world: World) -> None:
    for _ in range(10):
        answer(world.other_job, world.other_admin, kept="no", nps=2)
    body = dashboard(world.other_admin)
    assert text_of(body, "s-nps") == "-100"
    assert text_of(body, "s-kept") == "0%"


# --- the public report card switch ---------------------------------------------------------


class _Snippet(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs[tag] = dict(attrs)


def badge_snippet(body: str) -> dict[str, dict[str, str | None]]:
    """The copy-and-paste HTML as the admin would copy it, parsed."""
    match = re.search(r'<textarea id="badge-snippet"[^>]*>(.*?)</textarea>', body, re.S)
    assert match, "no badge snippet on the page"
    parser = _Snippet()
    parser.feed(html.unescape(match.group(1)))
    return parser.attrs


def test_admin_publishes_and_hides_the_report_card(world: World, settings: Any) -> None:
    settings.SITE_URL = "https://hb.example"
    admin = client_for(world.admin)
    public_url = f"https://hb.example/employers/{world.org.slug}/"
    policy = admin.get(reverse("console:policy")).content.decode()
    assert "Not public." in policy
    assert public_url not in policy and "badge-snippet" not in policy
    assert Client().get(f"/employers/{world.org.slug}/").status_code == 404

    response = admin.post(reverse("console:report_card"), {"public": "on"}, follow=True)
    body = response.content.decode()
    assert "Your report card is public." in body
    assert is_public(org=world.org)
    assert f'<a href="{public_url}">{public_url}</a>' in body
    snippet = badge_snippet(body)
    assert snippet["a"]["href"] == public_url
    assert snippet["img"]["src"] == f"https://hb.example/employers/{world.org.slug}/badge.svg"
    assert snippet["img"]["alt"] == "Acme Analytics hears back: see our record"
    # The addresses shown really work (the test server answers the path part).
    assert Client().get(f"/employers/{world.org.slug}/").status_code == 200
    badge = Client().get(f"/employers/{world.org.slug}/badge.svg")
    assert badge.status_code == 200 and badge["Content-Type"].startswith("image/svg+xml")
    event = Event.objects.get(org=world.org, kind="report_card_public")
    assert event.actor_label == world.admin.display_name

    body = admin.post(reverse("console:report_card"), {"public": "off"}, follow=True)
    assert "Your report card is hidden." in body.content.decode()
    assert not is_public(org=world.org)
    assert Client().get(f"/employers/{world.org.slug}/").status_code == 404
    assert Event.objects.filter(org=world.org, kind="report_card_private").count() == 1


def test_badge_snippet_escapes_the_org_name(db: Any) -> None:
    org = factories.make_org(name='Müller "Best" & <Söhne>')
    admin = factories.make_member(org=org, role=Role.ADMIN)
    client = client_for(admin)
    body = client.post(reverse("console:report_card"), {"public": "on"}, follow=True)
    snippet = badge_snippet(body.content.decode())
    assert snippet["img"]["alt"] == 'Müller "Best" & <Söhne> hears back: see our record'
    assert set(snippet) == {"a", "img"}  # the name added no tags of its own


def test_only_admins_may_switch_the_report_card(world: World) -> None:
    for member in (world.recruiter, world.manager):
        response = client_for(member).post(reverse("console:report_card"), {"public": "on"})
        assert response.status_code == 403
        assert (
            "Public report card"
            not in client_for(member).get(reverse("console:policy")).content.decode()
        )
    assert not is_public(org=world.org)
    # Org B's admin switches org B, never org A.
    client_for(world.other_admin).post(reverse("console:report_card"), {"public": "on"})
    assert is_public(org=world.other_org) and not is_public(org=world.org)


def test_a_bad_choice_changes_nothing_and_says_so(world: World) -> None:
    admin = client_for(world.admin)
    admin.post(reverse("console:report_card"), {"public": "on"})
    for data in ({}, {"public": "maybe"}):
        body = admin.post(reverse("console:report_card"), data, follow=True).content.decode()
        assert "Please choose whether to publish the report card or hide it." in body
        assert is_public(org=world.org)
    assert admin.get(reverse("console:report_card")).status_code == 405


# --- CV downloads --------------------------------------------------------------------------


def cv_url(attachment: Attachment, application_id: int | None = None) -> str:
    return reverse(
        "console:attachment", args=[application_id or attachment.application_id, attachment.pk]
    )


def download(client: Client, url: str) -> tuple[Any, bytes]:
    response = client.get(url)
    # Reading the whole stream lets the test client close the file (and nothing else).
    content = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, content


def test_application_page_links_the_cv_and_it_downloads_as_uploaded(
    world: World, media_root: Any
) -> None:
    application = apply_with_cv(world.job, name="Marie Curie", filename="Lebenslauf Curie.pdf")
    cv = Attachment.objects.get(application=application)
    page = client_for(world.recruiter).get(reverse("console:application", args=[application.pk]))
    body = page.content.decode()
    assert f'href="{cv_url(cv)}"' in body and "Download CV: Lebenslauf Curie.pdf" in body

    response, content = download(client_for(world.recruiter), cv_url(cv))
    assert response.status_code == 200
    assert content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Lebenslauf Curie.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_no_cv_no_link(world: World) -> None:
    body = client_for(world.admin).get(
        reverse("console:application", args=[world.applications[0].pk])
    )
    assert "Download CV" not in body.content.decode()


def test_a_text_cv_is_never_shown_inline(world: World, media_root: Any) -> None:
    """A .txt CV that looks like a web page is still plain text, and still a download."""
    page = b"<html><script>alert(1)</script></html>\n"
    application = apply_with_cv(world.job, name="Eve Sneaky", filename="cv.txt", content=page)
    cv = Attachment.objects.get(application=application)
    response, content = download(client_for(world.admin), cv_url(cv))
    assert content == page
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_non_ascii_file_name_survives(world: World, media_root: Any) -> None:
    application = apply_with_cv(world.job, name="Zoë Ångström", filename="Zoë Ångström.pdf")
    cv = Attachment.objects.get(application=application)
    response, _content = download(client_for(world.admin), cv_url(cv))
    assert "filename*=utf-8''Zo%C3%AB%20%C3%85ngstr%C3%B6m.pdf" in response["Content-Disposition"]


def test_cv_is_for_those_who_may_see_the_application(world: World, media_root: Any) -> None:
    application = apply_with_cv(world.job, name="Marie Curie")
    cv = Attachment.objects.get(application=application)
    assert download(client_for(world.manager), cv_url(cv))[0].status_code == 200  # owns the job
    assert download(client_for(world.outsider_manager), cv_url(cv))[0].status_code == 404
    assert download(Client(), cv_url(cv))[0].status_code == 302  # to the sign-in page
    # Org B's admin: with org A's ids, and with org A's file under their own application.
    other = client_for(world.other_admin)
    assert download(other, cv_url(cv))[0].status_code == 404
    assert download(other, cv_url(cv, world.other_application.pk))[0].status_code == 404
    # A file is only reached through its own application.
    assert (
        download(client_for(world.admin), cv_url(cv, world.applications[0].pk))[0].status_code
        == 404
    )


def test_another_orgs_attachment_id_is_not_found(world: World, media_root: Any) -> None:
    theirs = apply_with_cv(world.other_job, name="Zed Zebra Two")
    their_cv = Attachment.objects.get(application=theirs)
    admin = client_for(world.admin)
    assert download(admin, cv_url(their_cv, world.applications[0].pk))[0].status_code == 404
    assert download(admin, cv_url(their_cv))[0].status_code == 404
    assert download(client_for(world.other_admin), cv_url(their_cv))[0].status_code == 200


def test_a_file_missing_from_disk_is_not_found_and_the_page_still_works(
    world: World, media_root: Any
) -> None:
    application = apply_with_cv(world.job, name="Marie Curie")
    cv = Attachment.objects.get(application=application)
    uploads.path_of(cv).unlink()
    admin = client_for(world.admin)
    assert download(admin, cv_url(cv))[0].status_code == 404
    page = admin.get(reverse("console:application", args=[application.pk]))
    assert page.status_code == 200


def test_downloads_are_read_only(world: World, media_root: Any) -> None:
    application = apply_with_cv(world.job, name="Marie Curie")
    cv = Attachment.objects.get(application=application)
    assert client_for(world.admin).post(cv_url(cv)).status_code == 405
    assert uploads.path_of(cv).read_bytes() == PDF
