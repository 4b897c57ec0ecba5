"""The apply limit is a setting, generous by default, and a refusal (or a CV over 5 MB)
shows the form again with everything typed except the file."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from heardback.hiring.models import Application, Job
from heardback.portal import ratelimit
from tests.input.conftest import apply_form, apply_url


def _typed(**overrides: Any) -> dict[str, Any]:
    return apply_form(
        name="Zoë Ångström", phone="+46 8 123 456", language="de", time_zone="Europe/Stockholm",
        **overrides,
    )  # fmt: skip


def _keeps_what_was_typed(html: str, email: str) -> None:
    assert 'value="Zoë Ångström"' in html
    assert f'value="{email}"' in html
    assert 'value="+46 8 123 456"' in html
    assert 'value="Europe/Stockholm"' in html
    assert '<option value="de" selected>' in html
    assert 'name="consent"' in html and "checked" in html


def test_the_default_limit_lets_thirty_candidates_behind_one_address_apply(
    client: Client, job: Job, settings: Any
) -> None:
    assert ratelimit.limit_for("apply") == (30, 600)
    for n in range(30):
        response = client.post(apply_url(job), apply_form(email=f"c{n}@example.net"))
        assert response.status_code == 200, n
    assert Application.objects.count() == 30


def test_the_limit_is_a_setting(client: Client, job: Job, settings: Any) -> None:
    settings.APPLY_RATE_PER_ADDRESS = "2/h"
    assert ratelimit.limit_for("apply") == (2, 3600)
    for n in range(2):
        assert client.post(apply_url(job), apply_form(email=f"c{n}@example.net")).status_code == 200
    assert client.post(apply_url(job), apply_form(email="c9@example.net")).status_code == 429


def test_a_refused_apply_shows_the_form_again_with_what_was_typed(
    client: Client, job: Job, settings: Any
) -> None:
    settings.APPLY_RATE_PER_ADDRESS = "1/10m"
    assert client.post(apply_url(job), apply_form(email="first@example.net")).status_code == 200
    cv = SimpleUploadedFile("cv.txt", b"My CV\n", content_type="text/plain")

    response = client.post(apply_url(job), _typed(email="zoe@example.net", cv=cv))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Please slow down" in html and "Nothing has been saved yet" in html
    _keeps_what_was_typed(html, "zoe@example.net")
    assert 'name="csrfmiddlewaretoken"' in html  # the form can be sent again as it is
    assert Application.objects.count() == 1


def test_a_cv_over_5_mb_keeps_the_rest_of_the_form(
    client: Client, job: Job, media_root: Any
) -> None:
    big = SimpleUploadedFile("cv.pdf", b"%PDF-1.4\n" + b"0" * (7 * 1024 * 1024))
    # The CV comes before some of the fields, as a browser sends them.
    form = {**_typed(email="zoe@example.net"), "cv": big}

    response = client.post(apply_url(job), form)

    assert response.status_code == 413
    html = response.content.decode()
    assert "larger than 5 MB" in html
    _keeps_what_was_typed(html, "zoe@example.net")
    assert Application.objects.count() == 0
    assert not media_root.exists() or not any(media_root.rglob("*.pdf"))
