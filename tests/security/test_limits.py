"""Limits hold across processes, and count per client behind trusted proxies.

Several web processes (gunicorn workers) must share one count: the tests spend part of a
budget in one Python process, part in another, and expect the third (this one) to be
refused. With a per-process cache each would have seen only its own share.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client, RequestFactory

from heardback.api.keys import create_key
from heardback.hiring.models import Role
from heardback.seeker import services as seeker_services
from heardback.web import limits
from heardback.web.client import client_address, client_key
from tests import factories
from tests.messaging.processes import process_env

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"

# Sends the same request N times from a fresh Python process, as another web worker would.
SCRIPT = """
import json, sys
import django
django.setup()
from django.test import Client
url, count = sys.argv[1], int(sys.argv[2])
data, headers = json.loads(sys.argv[3]), json.loads(sys.argv[4])
client = Client(REMOTE_ADDR="203.0.113.7")
codes = []
for _ in range(count):
    if data is None:
        codes.append(client.get(url, headers=headers).status_code)
    else:
        codes.append(client.post(url, data, headers=headers).status_code)
print(json.dumps(codes))
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = process_env(email_url="smtp://127.0.0.1:9", var_dir=tmp_path, **extra)
    env["DJANGO_SETTINGS_MODULE"] = "heardback.settings"
    return env


def _in_other_processes(
    tmp_path: Path,
    url: str,
    counts: list[int],
    data: dict[str, Any] | None,
    headers: dict[str, str] | None = None,
    **env: str,
) -> list[int]:
    """Each count in its own process, all at once; the status codes they got."""
    args = [json.dumps(data), json.dumps(headers or {})]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, url, str(n), *args],
            cwd=ROOT,
            env=_env(tmp_path, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in counts
    ]
    codes: list[int] = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        codes += json.loads(out.strip().splitlines()[-1])
    return codes


@pytest.mark.django_db(transaction=True)
def test_console_sign_in_failures_add_up_across_processes(tmp_path: Path) -> None:
    org = factories.make_org()
    factories.make_member(org=org, role=Role.RECRUITER, email="rec@acme.example")
    wrong = {"username": "rec@acme.example", "password": "guess"}
    codes = _in_other_processes(tmp_path, "/app/login/", [3, 2], wrong)
    assert codes == [200] * 5
    right = Client(REMOTE_ADDR="203.0.113.7").post(
        "/app/login/", {"username": "rec@acme.example", "password": PASSWORD}
    )
    assert right.status_code == 429


@pytest.mark.django_db(transaction=True)
def test_seeker_sign_in_failures_add_up_across_processes(tmp_path: Path) -> None:
    seeker_services.sign_up(email="robin@example.org", password=PASSWORD, full_name="Robin")
    wrong = {"email": "robin@example.org", "password": "guess"}
    codes = _in_other_processes(tmp_path, "/seeker/login/", [3, 2], wrong)
    assert set(codes) == {200}
    right = Client(REMOTE_ADDR="203.0.113.7").post(
        "/seeker/login/", {"email": "robin@example.org", "password": PASSWORD}
    )
    assert right.status_code == 429
    assert "_auth_user_id" not in right.client.session


@pytest.mark.django_db(transaction=True)
def test_the_status_link_limit_adds_up_across_processes(tmp_path: Path, settings: Any) -> None:
    settings.APPLY_LINK_RATE_PER_ADDRESS = "3/h"
    job = factories.make_job(org=factories.make_org(), title="Baker")
    url = f"/jobs/{job.org.slug}/{job.slug}/status-link/"
    codes = _in_other_processes(
        tmp_path, url, [2, 1], {"link-email": "x@example.net"}, APPLY_LINK_RATE_PER_ADDRESS="3/h"
    )
    assert codes == [200, 200, 200]
    refused = Client(REMOTE_ADDR="203.0.113.7").post(url, {"link-email": "y@example.net"})
    assert refused.status_code == 429


@pytest.mark.django_db(transaction=True)
def test_the_api_throttle_adds_up_across_processes(tmp_path: Path, settings: Any) -> None:
    # A day's window: counted in fixed windows, a minute's could roll over while three
    # processes start on a busy machine, and the fourth request would open a new window.
    settings.API_RATE_PER_KEY = "3/d"
    org = factories.make_org()
    admin = factories.make_member(org=org, role=Role.ADMIN)
    _key, secret = create_key(actor=admin, name="sync", scope="read")
    headers = {"Authorization": f"Bearer {secret}"}
    codes = _in_other_processes(
        tmp_path, "/api/v1/jobs", [2, 1], None, headers, API_RATE_PER_KEY="3/d"
    )
    assert codes == [200, 200, 200]
    assert Client().get("/api/v1/jobs", headers=headers).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_counting_is_atomic_when_processes_count_at_once(tmp_path: Path) -> None:
    script = (
        "import django; django.setup()\n"
        "from heardback.web import limits\n"
        "for _ in range(40): limits.add('race', expires_in=600)\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=_env(tmp_path))
        for _ in range(4)
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0
    assert limits.peek("race") == 160


@pytest.mark.django_db(transaction=True)
def test_counting_is_atomic_across_threads() -> None:
    def count(_: int) -> int:
        try:
            return limits.add("threads", expires_in=600)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = sorted(pool.map(count, range(80)))
    assert results == list(range(1, 81))  # every count seen exactly once


@pytest.mark.django_db
def test_an_expired_counter_starts_again(time_machine: Any) -> None:
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    assert limits.add("k", expires_in=60) == 1
    assert limits.add("k", expires_in=60) == 2
    time_machine.shift(61)
    assert limits.peek("k") == 0
    assert limits.add("k", expires_in=60) == 1


@pytest.mark.django_db
def test_counters_store_no_raw_addresses() -> None:
    from heardback.web.models import RateCount

    limits.hit("scope", "203.0.113.9", limit=5, window=60)
    limits.hit("scope", "ada@example.net", limit=5, window=60)
    keys = " ".join(RateCount.objects.values_list("key", flat=True))
    assert "203.0.113.9" not in keys and "ada@example.net" not in keys


# --- the shared cache ---------------------------------------------------------------------


def _settings_in_a_fresh_process(**env: str) -> dict[str, Any]:
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps({k: v['BACKEND'] + '|' + str(v.get('LOCATION', '')) "
        "for k, v in settings.CACHES.items()}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "REDIS_URL"}}
    clean.update(HEARDBACK_ENV="test", DJANGO_SETTINGS_MODULE="heardback.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return dict(json.loads(result.stdout))


def test_the_default_cache_is_the_database_and_the_micro_cache_is_local() -> None:
    caches_ = _settings_in_a_fresh_process()
    assert caches_["default"] == "django.core.cache.backends.db.DatabaseCache|heardback_cache"
    assert caches_["local"].startswith("django.core.cache.backends.locmem.LocMemCache|")


@pytest.mark.parametrize("name", ["CACHE_URL", "REDIS_URL"])
def test_redis_is_one_setting_away(name: str) -> None:
    caches_ = _settings_in_a_fresh_process(**{name: "redis://cache.internal:6379/2"})
    assert caches_["default"] == (
        "django.core.cache.backends.redis.RedisCache|redis://cache.internal:6379/2"
    )
    assert caches_["local"].startswith("django.core.cache.backends.locmem.LocMemCache|")


def test_a_cache_url_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _settings_in_a_fresh_process(CACHE_URL="memcached://x:11211")
    assert "CACHE_URL" in refused.value.stderr


@pytest.mark.django_db
def test_migrate_creates_the_cache_table_and_the_cache_works() -> None:
    assert "heardback_cache" in connection.introspection.table_names()
    caches["default"].set("hello", {"n": 1}, 30)
    assert caches["default"].get("hello") == {"n": 1}


@pytest.mark.django_db
def test_the_status_page_micro_cache_stays_in_the_process(client: Client) -> None:
    from heardback.portal import tokens

    job = factories.make_job(org=factories.make_org(), title="Baker")
    token = tokens.issue_token(factories.make_application(job=job))
    caches["local"].clear()
    assert client.get(f"/s/{token}/").status_code == 200
    assert caches["local"].get(f"portal-token-ok:{tokens.hash_token(token)}") is not None
    assert caches["default"].get(f"portal-token-ok:{tokens.hash_token(token)}") is None


# --- the client's address -----------------------------------------------------------------


def _request(remote: str, forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    assert client_address(_request("198.51.100.4", "203.0.113.1")) == "198.51.100.4"


def test_behind_a_trusted_proxy_the_forwarded_client_counts(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1/32"]
    assert client_address(_request("10.0.0.2", "203.0.113.1")) == "203.0.113.1"
    # Two proxies in a row: both skipped.
    assert client_address(_request("127.0.0.1", "203.0.113.1, 10.1.2.3")) == "203.0.113.1"
    # What the client wrote itself sits left of what the proxy saw, and is never reached.
    assert client_address(_request("10.0.0.2", "6.6.6.6, 203.0.113.1")) == "203.0.113.1"
    # An untrusted peer's header is its own invention.
    assert client_address(_request("198.51.100.4", "203.0.113.1")) == "198.51.100.4"
    # Garbage where a proxy's entry should be: the last hop we could read.
    assert client_address(_request("10.0.0.2", "junk")) == "10.0.0.2"
    # Ports and brackets, as some proxies write them.
    assert client_address(_request("10.0.0.2", "[2001:db8::1]:443")) == "2001:db8::1"
    assert client_address(_request("10.0.0.2", "203.0.113.1:5555")) == "203.0.113.1"


def test_ipv6_clients_count_by_their_64(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    one = client_key(_request("2001:db8:1:2::1"))
    other = client_key(_request("2001:db8:1:2:ffff::9"))
    assert one == other == "2001:db8:1:2::/64"
    assert client_key(_request("::ffff:203.0.113.5")) == "203.0.113.5"


@pytest.mark.django_db
def test_visitors_behind_one_proxy_have_budgets_of_their_own(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    settings.APPLY_LINK_RATE_PER_ADDRESS = "2/h"
    job = factories.make_job(org=factories.make_org(), title="Baker")
    url = f"/jobs/{job.org.slug}/{job.slug}/status-link/"
    ada = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1")
    bob = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert [ada.post(url, {"link-email": "a@example.net"}).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert bob.post(url, {"link-email": "b@example.net"}).status_code == 200
    # A client can't buy a fresh budget by writing its own header.
    liar = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.1")
    assert liar.post(url, {"link-email": "c@example.net"}).status_code == 429


def test_the_trusted_proxies_setting_is_checked(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.TRUSTED_PROXIES = ["not-a-network"]
    with pytest.raises(ImproperlyConfigured):
        client_address(_request("10.0.0.2", "203.0.113.1"))


# --- one counter for every limit ----------------------------------------------------------


@pytest.mark.django_db
def test_the_api_throttle_counts_in_the_shared_counters(settings: Any) -> None:
    from heardback.web.models import RateCount

    settings.API_RATE_PER_KEY = "2/minute"  # the unit's first letter decides, as before
    admin = factories.make_member(org=factories.make_org(), role=Role.ADMIN)
    _key, secret = create_key(actor=admin, name="sync", scope="read")
    headers = {"Authorization": f"Bearer {secret}"}
    codes = [Client().get("/api/v1/jobs", headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert RateCount.objects.filter(key__startswith="rl:api-key:").get().count == 3


def test_rates_read_like_the_settings_document_them() -> None:
    assert limits.parse_rate("600/m") == (600, 60)
    assert limits.parse_rate("60/10m") == (60, 600)
    assert limits.parse_rate("3/d") == (3, 86400)
    assert limits.parse_rate("100/minute") == (100, 60)
    for wrong in ("", "0/m", "5/0m", "5/w", "five/m"):
        with pytest.raises(ImproperlyConfigured):
            limits.parse_rate(wrong)


def test_a_redis_cache_url_without_the_redis_package_fails_the_checks(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from heardback.web import checks

    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "x"},
    }
    real = checks.importlib.util.find_spec
    monkeypatch.setattr(
        checks.importlib.util, "find_spec", lambda name: None if name == "redis" else real(name)
    )
    assert [m.id for m in checks.redis_client_installed()] == ["heardback.web.E001"]
    monkeypatch.setattr(checks.importlib.util, "find_spec", lambda name: object())
    assert checks.redis_client_installed() == []


@pytest.mark.django_db(transaction=True)
def test_a_count_of_its_own_commits_without_waiting_for_the_disk_and_a_callers_never() -> None:
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as alone:
        assert limits.add("probe-alone", expires_in=60) == 1
        assert limits.add("probe-alone", expires_in=60) == 2
    with CaptureQueriesContext(connection) as inside, transaction.atomic():
        assert limits.add("probe-inside", expires_in=60) == 1
    unflushed = "set_config('synchronous_commit', 'off', true)"
    counted = [q["sql"] for q in alone.captured_queries if "INSERT" in q["sql"]]
    assert len(counted) == 2
    # Only PostgreSQL waits for its log at commit; SQLite's counts are unchanged.
    assert all((unflushed in sql) == (connection.vendor == "postgresql") for sql in counted)
    assert not any(unflushed in q["sql"] for q in inside.captured_queries)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"  # only that transaction's, never the session's
