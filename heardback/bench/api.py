"""API benchmark: what does the REST API cost on top of the service it calls?

    HEARDBACK_ENV=test python -m heardback.bench.api                        # SQLite
    HEARDBACK_ENV=test DATABASE_URL=postgres://user@host:5432/heardback \\
        python -m heardback.bench.api                                       # PostgreSQL
    heardback bench api [--requests 1000] [--runs 3]

One process, one database, the whole middleware stack, Django's in-process test client (no
sockets, so only the server side is measured). Each run sends `--requests` applications,
each with a new candidate email, three ways, in rotating order:

* bare: `POST /bench/apply` to a plain Django view that parses the JSON and calls
  `hiring.apply` (the acknowledgement with its promise is written, as always), then
  answers the new id: the floor for "take an application over HTTP";
* api: `POST /api/v1/applications` with a bearer key: key lookup, scope, throttle (counted
  in the cache), schema validation, the org-scoped job lookup, `hiring.apply`, the full
  application answer;
* api + Idempotency-Key: the same with a fresh `Idempotency-Key` per request, as the docs
  recommend: its row is inserted first and the answer stored after.

Each side applies to a job of its own. It prints requests per second for each and the
median ratios api/bare (the target is at least 0.5). Everything runs in a throwaway
database, never the real one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.csrf import csrf_exempt

from heardback.bench.scratch import scratch_database


@csrf_exempt
def bare_apply(request: HttpRequest) -> HttpResponse:
    """The same insert, with nothing around it but Django and the JSON."""
    from heardback.hiring import services as hiring
    from heardback.hiring.models import Job

    data = json.loads(request.body)
    job = Job.objects.select_related("org").get(pk=data["job_id"])
    application = hiring.apply(job=job, name=data["name"], email=data["email"])
    return JsonResponse({"id": application.pk}, status=201)


# The benchmark's URLconf (the site's, plus the bare view), filled in once Django is set up.
urlpatterns: list[URLPattern | URLResolver] = []


def use_bench_urls() -> None:
    from django.conf import settings
    from django.urls import clear_url_caches

    urlpatterns[:] = [path("bench/apply", bare_apply), path("", include("heardback.urls"))]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()


@dataclass
class Run:
    bare: float  # requests per second
    api: float
    api_keyed: float
    cpu_us: dict[str, float]  # this process's CPU per request, by side

    @property
    def ratio(self) -> float:
        return self.api / self.bare

    @property
    def keyed_ratio(self) -> float:
        return self.api_keyed / self.bare


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="heardback.bench.api", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--requests", type=int, default=1000, help="applications per side")
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


_emails = itertools.count()


def timed(send: Callable[[dict[str, Any]], Any], job_id: int, n: int, status: int) -> Any:
    """Send n applications; returns (requests per second, CPU µs per request)."""
    bodies = [
        {"job_id": job_id, "name": "Bench Candidate", "email": f"c{next(_emails)}@example.net"}
        for _ in range(n)
    ]
    started, cpu = time.perf_counter(), time.process_time()
    for body in bodies:
        response = send(body)
        if response.status_code != status:
            raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return n / seconds, cpu / n * 1e6


def main(argv: list[str] | None = None) -> float:
    args = parse(argv)
    with scratch_database("api") as vendor:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client

        from heardback.api.keys import create_key
        from heardback.hiring import services as hiring
        from heardback.hiring.models import Role

        use_bench_urls()
        settings.API_RATE_PER_KEY = "100000000/m"  # measure the throttle's work, not its no
        org = hiring.create_org(name="Bench", slug="bench", country="DE")
        user = get_user_model().objects.create_user(
            username="admin@bench.example", email="admin@bench.example"
        )
        admin = hiring.add_member(org=org, user=user, role=Role.ADMIN)
        _key, raw = create_key(actor=admin, name="bench", scope="write")
        jobs = {
            side: hiring.create_job(org=org, title=f"Job {side}", owner=admin).pk
            for side in ("bare", "api", "api_keyed")
        }
        client = Client()
        auth = {"Authorization": f"Bearer {raw}"}
        keys = itertools.count()

        def bare(body: dict[str, Any]) -> Any:
            return client.post("/bench/apply", body, content_type="application/json")

        def api(body: dict[str, Any]) -> Any:
            return client.post(
                "/api/v1/applications", body, content_type="application/json", headers=auth
            )

        def api_keyed(body: dict[str, Any]) -> Any:
            headers = auth | {"Idempotency-Key": f"bench-{next(keys)}"}
            return client.post(
                "/api/v1/applications", body, content_type="application/json", headers=headers
            )

        sides: dict[str, Callable[[dict[str, Any]], Any]] = {
            "bare": bare,
            "api": api,
            "api_keyed": api_keyed,
        }
        print(
            f"API benchmark: {args.requests} applications per side and run, in-process client, "
            f"full middleware; {vendor}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}",
            flush=True,
        )
        for name, send in sides.items():  # warm up: imports, caches, prepared plans
            timed(send, jobs[name], 50, 201)
        runs: list[Run] = []
        order = list(sides)
        for number in range(1, args.runs + 1):
            rates: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for name in order:
                rates[name], cpu[name] = timed(sides[name], jobs[name], args.requests, 201)
            order = order[1:] + order[:1]  # each side goes first once in three runs
            run = Run(
                bare=rates["bare"], api=rates["api"], api_keyed=rates["api_keyed"], cpu_us=cpu
            )
            runs.append(run)
            print(
                f"run {number}: bare {run.bare:6.0f}/s   api {run.api:6.0f}/s   "
                f"api+Idempotency-Key {run.api_keyed:6.0f}/s   ratio {run.ratio:.2f} "
                f"(with the key {run.keyed_ratio:.2f}); CPU per request "
                f"{cpu['bare']:.0f} / {cpu['api']:.0f} / {cpu['api_keyed']:.0f} µs",
                flush=True,
            )
        ratio = statistics.median(r.ratio for r in runs)
        keyed = statistics.median(r.keyed_ratio for r in runs)
        # CPU time per request is a steadier cross-check on a busy machine. It counts this
        # process only: all the work on SQLite; on PostgreSQL, not the server's share.
        cpu_ratio = statistics.median(r.cpu_us["bare"] / r.cpu_us["api"] for r in runs)
        print(
            f"median: bare {statistics.median(r.bare for r in runs):.0f}/s, api "
            f"{statistics.median(r.api for r in runs):.0f}/s, api+Idempotency-Key "
            f"{statistics.median(r.api_keyed for r in runs):.0f}/s"
        )
        print(
            f"RESULT ratio api/bare (applications per second): {ratio:.2f}, with an "
            f"Idempotency-Key {keyed:.2f}; by CPU time {cpu_ratio:.2f} (target ≥ 0.5)"
        )
    return ratio


if __name__ == "__main__":
    main(sys.argv[1:])
