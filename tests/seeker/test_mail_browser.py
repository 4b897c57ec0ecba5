"""Mail import in a real browser: upload a mailbox export, see the proposed updates, say yes
to one and watch the tracker update; nothing changes for the ones not yet confirmed."""

from __future__ import annotations

from typing import Any

import pytest

from heardback.seeker.models import JobApplication, MailProposal, ProposalState, Status

from . import mail_fixtures
from .conftest import PASSWORD, make_seeker
from .test_mail_classification import tracked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_a_mailbox_and_confirm_an_update(page: Any, live_server: Any) -> None:
    owner = make_seeker()
    keys = {key: pk for pk, key in tracked(owner).items()}
    page.goto(f"{live_server.url}/seeker/login/")
    page.get_by_label("Email").fill(owner.seeker_profile.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Mail").click()
    page.get_by_label("An email (.eml) or a mailbox (.mbox)").set_input_files(
        str(mail_fixtures.mbox_path("de"))
    )
    page.get_by_role("button", name="Read it").click()
    assert page.inner_text(".flash").startswith("Read 20 messages: 17 new updates")

    rejection = page.locator("article.proposal").filter(has_text="Absage - Teamleiter Lager")
    assert "Rejection" in rejection.locator("h3").inner_text()
    assert "nicht weiter berücksichtigen" in rejection.locator("blockquote").inner_text()
    rejection.get_by_role("button", name="Yes, update it").click()
    assert page.inner_text(".flash") == "Updated: Teamleiter Lager at Stark Logistik GmbH."
    assert page.locator("article.proposal").filter(has_text="Absage - Teamleiter").count() == 0

    stark = JobApplication.objects.get(pk=keys["stark"])
    assert stark.status == Status.REJECTED
    # The others wait for the seeker: nothing else changed.
    assert JobApplication.objects.get(pk=keys["sonnenschein"]).status == Status.APPLIED
    assert MailProposal.objects.filter(owner=owner, state=ProposalState.PENDING).count() == 16

    page.goto(f"{live_server.url}/seeker/applications/{stark.pk}/")
    assert page.inner_text(".page-head .status") == "Rejected"
    assert "nicht weiter berücksichtigen" in page.text_content("body")  # the note it left
