"""Likely-no phrases: data, checked against examples, true and false positives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from heardback.seeker import warnings

SAMPLES = json.loads((Path(__file__).parent / "fixtures" / "warning_samples.json").read_text())


@pytest.mark.parametrize("sample", SAMPLES["true_positives"], ids=lambda s: s["text"][:40])
def test_true_positives(sample: dict[str, Any]) -> None:
    assert sorted(w.id for w in warnings.scan(sample["text"])) == sorted(sample["ids"])


@pytest.mark.parametrize("sample", SAMPLES["false_positives"], ids=lambda s: s["text"][:40])
def test_false_positives_stay_quiet(sample: dict[str, Any]) -> None:
    assert warnings.scan(sample["text"]) == []


def test_every_phrase_in_the_data_matches_its_own_examples() -> None:
    phrases = warnings.load_phrases()
    assert len(phrases) >= 5
    for phrase in phrases:
        assert phrase.examples, f"{phrase.id} needs examples"
        for example in phrase.examples:
            assert phrase.id in [w.id for w in warnings.scan(example)], example


def test_a_warning_is_labelled_as_a_sign_not_a_prediction() -> None:
    (found,) = warnings.scan("We just have a few more candidates to interview.")
    assert found.label == "A common sign, not a prediction"
    assert found.quote == "have a few more candidates to interview"


@pytest.mark.django_db
def test_the_application_page_shows_signs_from_notes_and_pasted_email(client: Any) -> None:
    from datetime import date

    from heardback.seeker import services

    from .conftest import make_seeker

    user = make_seeker()
    client.force_login(user)
    app = services.create_application(
        owner=user, company="Acme", role="Engineer", applied_on=date(2026, 11, 2)
    )
    services.log_interview(
        owner=user,
        application_id=app.pk,
        held_on=date(2026, 11, 25),
        notes="They said: we just have a few more candidates to interview.",
    )
    client.post(f"/seeker/applications/{app.pk}/paste/",
                {"text": "Dear Robin, we will keep your resume on file."})  # fmt: skip
    page = client.get(f"/seeker/applications/{app.pk}/").content.decode()
    assert "A heuristic, not a prediction" in page
    assert page.count("<strong>A common sign:</strong>") == 2
    assert "keep your resume on file" in page
