"""`Idempotency-Key` over real HTTP: retries that arrive at the same moment do the work once.

A live server (its own threads, its own database connections) gets the same POST from many
client threads at once; the database's unique constraint decides who runs it, and everyone
else gets the same answer. Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from heardback import clock
from heardback.api.keys import authenticate, create_key
from heardback.api.models import IdempotentRequest
from heardback.hiring import services as hiring
from heardback.hiring.models import Application
from heardback.messaging.models import Message
from tests.api.conftest import World, make_world

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def replayed(self) -> bool:
        return self.headers.get("Idempotent-Replayed") == "true"


@dataclass
class Remote:
    url: str
    raw_key: str
    world: World

    def post(self, path: str, body: Any, idempotency_key: str | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {self.raw_key}", "Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(  # noqa: S310 - the live test server on loopback
            f"{self.url}/api/v1{path}",
            data=json.dumps(body).encode(),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return Answer(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), dict(error.headers))

    def get(self, path: str) -> Answer:
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}/api/v1{path}", headers={"Authorization": f"Bearer {self.raw_key}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return Answer(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), dict(error.headers))


@pytest.fixture
def remote(live_server: Any, settings: Any) -> Remote:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.API_RATE_PER_KEY = "10000/m"
    world = make_world("Acme Robotics", "acme.example")
    _key, raw = create_key(actor=world.admin, name="ATS", scope="write")
    return Remote(url=live_server.url, raw_key=raw, world=world)


def ada(remote: Remote, **extra: Any) -> dict[str, Any]:
    return {"job_id": remote.world.job.pk, "name": "Ada Lovelace", "email": "ada@example.net"} | (
        extra
    )


def test_ten_simultaneous_retries_apply_once_and_all_get_the_same_answer(
    remote: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_apply, calls = hiring.apply, []

    def slow_apply(**kwargs: Any) -> Any:
        calls.append(1)
        time.sleep(0.5)  # the others arrive while the first is still at work
        return real_apply(**kwargs)

    monkeypatch.setattr(hiring, "apply", slow_apply)
    clients = 10
    start = threading.Barrier(clients)
    answers: list[Answer] = []
    lock = threading.Lock()

    def send() -> None:
        start.wait()
        answer = remote.post("/applications", ada(remote), idempotency_key="apply-ada-1")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)

    assert len(answers) == clients
    assert {(a.status, a.body) for a in answers} == {(answers[0].status, answers[0].body)}
    assert answers[0].status == 201, answers[0].body
    assert sum(a.replayed for a in answers) == clients - 1
    assert len(calls) == 1
    assert Application.objects.filter(candidate__email="ada@example.net").count() == 1
    application = Application.objects.get(candidate__email="ada@example.net")
    assert json.loads(answers[0].body)["id"] == application.pk
    assert (
        Message.objects.filter(application_id=application.pk, kind="acknowledgement").count() == 1
    )
    assert IdempotentRequest.objects.get(key="apply-ada-1").status_code == 201


def test_a_retry_later_replays_the_first_answer_and_a_new_key_runs_again(remote: Remote) -> None:
    first = remote.post("/applications", ada(remote), idempotency_key="k-1")
    again = remote.post("/applications", ada(remote), idempotency_key="k-1")
    assert (again.status, again.body) == (first.status, first.body) == (201, first.body)
    assert again.replayed and not first.replayed
    # A new key is a new request: applying again with the same email is a 200, not a copy.
    fresh = remote.post("/applications", ada(remote), idempotency_key="k-2")
    assert fresh.status == 200 and not fresh.replayed
    assert json.loads(fresh.body)["id"] == json.loads(first.body)["id"]
    assert Application.objects.count() == 1


def test_the_same_key_with_a_different_request_is_refused(remote: Remote) -> None:
    first = remote.post("/applications", ada(remote), idempotency_key="k-1")
    assert first.status == 201
    other = remote.post("/applications", ada(remote, name="Ada King"), idempotency_key="k-1")
    assert other.status == 422
    assert other.headers["Content-Type"] == "application/problem+json"
    assert json.loads(other.body)["type"].endswith("/idempotency-mismatch")
    elsewhere = remote.post(
        f"/applications/{json.loads(first.body)['id']}/notes", {"text": "hi"}, "k-1"
    )
    assert elsewhere.status == 422
    assert Application.objects.get().candidate.name == "Ada Lovelace"


def test_keys_belong_to_one_api_key(remote: Remote) -> None:
    _key, other_raw = create_key(actor=remote.world.admin, name="other tool", scope="write")
    other = Remote(url=remote.url, raw_key=other_raw, world=remote.world)
    assert remote.post("/jobs", {"title": "Gear Grinder"}, "same").status == 201
    assert other.post("/jobs", {"title": "Bolt Counter"}, "same").status == 201


def test_a_server_error_is_not_kept_so_the_retry_runs(
    remote: Remote, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_apply = hiring.apply
    calls = {"n": 0}

    def flaky_apply(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the database went away")
        return real_apply(**kwargs)

    monkeypatch.setattr(hiring, "apply", flaky_apply)
    failed = remote.post("/applications", ada(remote), idempotency_key="k-500")
    assert failed.status == 500
    assert not IdempotentRequest.objects.filter(key="k-500").exists()
    retried = remote.post("/applications", ada(remote), idempotency_key="k-500")
    assert retried.status == 201 and not retried.replayed
    assert calls["n"] == 2
    assert Application.objects.count() == 1


def test_too_many_requests_is_not_kept_either(remote: Remote, settings: Any) -> None:
    settings.API_RATE_PER_KEY = "1/m"
    assert remote.get("/jobs").status == 200
    throttled = remote.post("/applications", ada(remote), idempotency_key="k-429")
    assert throttled.status == 429
    settings.API_RATE_PER_KEY = "10/m"
    retried = remote.post("/applications", ada(remote), idempotency_key="k-429")
    assert retried.status == 201 and not retried.replayed


def test_a_first_request_that_died_frees_its_key_after_a_while(remote: Remote) -> None:
    api_key = authenticate(remote.raw_key)
    assert api_key is not None
    body = ada(remote)
    IdempotentRequest.objects.create(  # its process was killed before it answered
        api_key=api_key,
        key="k-stuck",
        fingerprint=hashlib.sha256(
            b"\n".join([b"POST", b"/api/v1/applications", json.dumps(body).encode()])
        ).hexdigest(),
        created_at=clock.now() - timedelta(minutes=10),
    )
    stuck = remote.post("/applications", body, idempotency_key="k-stuck")
    assert stuck.status == 409
    assert json.loads(stuck.body)["type"].endswith("/idempotency-retry")
    retried = remote.post("/applications", body, idempotency_key="k-stuck")
    assert retried.status == 201 and not retried.replayed
    assert Application.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_an_unusable_idempotency_key_is_a_400_problem(remote: Remote, key: str) -> None:
    answer = remote.post("/applications", ada(remote), idempotency_key=key)
    assert answer.status == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert Application.objects.count() == 0
