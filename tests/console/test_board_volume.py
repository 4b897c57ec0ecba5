"""The board at volume: every candidate reachable (a page per column, a link to the list),
"Move to" pointing at the next stage, and the dashboard's calm "act today" box."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from heardback import clock
from heardback.console.selectors import CARDS_PER_COLUMN
from heardback.hiring import services as hiring
from heardback.hiring.models import Application
from tests import factories
from tests.console.conftest import World, client_for

pytestmark = pytest.mark.django_db


def _board(client: Any, world: World, **params: Any) -> Any:
    response = client.get(reverse("console:board", args=[world.job.pk]), params)
    assert response.status_code == 200
    return response


def test_every_card_of_a_long_column_can_be_reached_page_by_page(world: World) -> None:
    for i in range(CARDS_PER_COLUMN + 17):
        factories.make_application(job=world.job, name=f"Person {i:03d}")
    client = client_for(world.recruiter)
    first_stage = world.job.pipeline.stages.order_by("position").first()
    assert first_stage is not None
    seen: list[int] = []
    params: dict[str, str] = {}
    for _ in range(5):
        response = _board(client, world, **params)
        column = response.context["columns"][0]
        seen += [a.pk for a in column.cards]
        link = response.context["links"][first_stage.pk]["next"]
        if column.page == column.pages:
            break
        params = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert len(seen) == len(set(seen)) == CARDS_PER_COLUMN + 17 + 3
    body = response.content.decode()
    assert f"51\N{EN DASH}{len(seen)} of {len(seen)}" in body
    # A page past the end, or nonsense, shows a real page instead of failing.
    late = _board(client, world, **{f"col{first_stage.pk}": "99"}).context["columns"][0]
    assert (late.page, len(late.cards)) == (2, 20)
    for junk in ("abc", "0", "-1", "²"):
        odd = _board(client, world, **{f"col{first_stage.pk}": junk, "colx": "2"})
        assert odd.context["columns"][0].page == 1


def test_each_column_links_to_the_list_filtered_to_its_job_and_stage(world: World) -> None:
    client = client_for(world.recruiter)
    response = _board(client, world, filter="overdue", q="ada")
    stage = world.job.pipeline.stages.order_by("position").first()
    assert stage is not None
    link = response.context["links"][stage.pk]["list"]
    query = parse_qs(urlsplit(link).query)
    assert query == {
        "job": [str(world.job.pk)],
        "stage": [str(stage.pk)],
        "status": ["active"],
        "overdue": ["1"],
        "q": ["ada"],
    }
    assert client.get(link).status_code == 200


def test_move_to_defaults_to_the_next_stage_and_from_the_last_to_the_one_before(
    world: World,
) -> None:
    stages = list(world.job.pipeline.stages.order_by("position"))
    ada, grace, _alan = world.applications
    hiring.move_to_stage(application=grace, stage=stages[-1], actor=world.recruiter)
    body = _board(client_for(world.recruiter), world).content.decode()

    def selected(application_id: int) -> str:
        select = re.search(rf'<select name="stage" id="mv-{application_id}">(.*?)</select>', body)
        assert select is not None
        chosen = re.findall(r'<option value="(\d+)" selected>', select.group(1))
        assert len(chosen) == 1
        return chosen[0]

    assert selected(ada.pk) == str(stages[1].pk)
    assert selected(grace.pk) == str(stages[-2].pk)  # from Offer: back one, not to Applied


def test_the_act_today_box_is_red_only_when_someone_has_to_act(world: World) -> None:
    client = client_for(world.admin)
    calm = client.get(reverse("console:dashboard")).content.decode()
    assert 'class="card act-today"' in calm
    ada = world.applications[0]
    Application.objects.filter(pk=ada.pk).update(respond_by=clock.now())
    urgent = client.get(reverse("console:dashboard")).content.decode()
    assert 'class="card act-today needs-action"' in urgent
