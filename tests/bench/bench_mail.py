"""Benchmark: the seeker's mail import. Classification quality on the fixtures, and the
import of a 5,000-message mbox (wall time, peak memory).

    HEARDBACK_ENV=test .venv/bin/python -m tests.bench.bench_mail [--messages 5000] [--runs 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heardback ... (the same on PostgreSQL)

1. **Precision and recall** per label over the 64 hand-written fixtures
   (tests/seeker/fixtures/mail, en/de/es), through the same path an upload takes
   (`mailimport.read_message`: the header gate, the classifier, the matcher), with the
   fixture set's ten tracked applications; plus how often the matched application (or
   "new") is the right one, and how often a stated date is read right.
2. **Import of an mbox of `--messages` messages** written to a temporary file: 8% hiring
   mail (the fixtures again, each copy with its own Message-ID), the rest everyday mail
   (newsletters, receipts, notifications; one in twenty with a 200 KB attachment). Timed:
   `mailimport.import_messages(iter_mbox(file))` for a seeker with the ten applications,
   proposals written to the database, as an upload does. The baseline, in the same process
   and on the same file: the standard library's `mailbox.mbox` reading and parsing every
   message whole (what an import that doesn't stream or gate would do before any
   classification). Runs alternate; medians are printed, with each run's ratio.

Peak memory: the resident set is sampled every 20 ms from /proc during each side. Scratch
database as the other benchmarks (created and dropped here). Not collected by pytest.
"""

# Ratios are printed with a multiplication sign (RUF001).
# ruff: noqa: RUF001
from __future__ import annotations

import argparse
import mailbox
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

HIRING_SHARE = 0.08


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


def _filler(n: int, rng: random.Random) -> bytes:
    kinds = [
        ("Weekly Digest <digest@news.example>", "Your week in tech: {n} stories"),
        ("Example Shop <orders@shop.example>", "Your order #{n} has shipped"),
        ("Calendar <calendar@work.example>", "Reminder: team sync at 10:00"),
        ("Bank of Examples <alerts@bank-of-examples.com>", "Statement {n} is ready"),
        ("Sam Example <sam@example.org>", "Photos from the weekend ({n})"),
        ("Forum <notify@forum.example>", "{n} new replies in your thread"),
    ]
    sender, subject = kinds[n % len(kinds)]
    words = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "news",
        "today",
        "read",
        "more",
        "your",
        "week",
        "update",
        "photo",
        "link",
    ]
    lines = [" ".join(rng.choice(words) for _ in range(12)) for _ in range(rng.randint(10, 60))]
    body = "\n".join(lines)
    head = (
        f"From: {sender}\nTo: robin@example.org\nSubject: {subject.format(n=n)}\n"
        f"Date: Mon, 16 Nov 2026 08:{n % 60:02d}:00 +0000\nMessage-ID: <filler-{n}@bench.example>\n"
        "MIME-Version: 1.0\n"
    )
    if n % 20 == 0:
        attachment = "\n".join("QUJD" * 19 for _ in range(2700))  # ~200 KB of base64
        return (
            head + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
            "Content-Type: text/plain; charset=utf-8\n\n" + body + "\n--b\n"
            "Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
            + attachment
            + "\n--b--\n"
        ).encode()
    return (head + "Content-Type: text/plain; charset=utf-8\n\n" + body + "\n").encode()


def write_mbox(path: Path, count: int, fixtures: list[Any]) -> int:
    """An mbox of `count` messages; returns its size in bytes."""
    rng = random.Random(42)
    with path.open("wb") as out:
        for n in range(count):
            if rng.random() < HIRING_SHARE:
                raw = fixtures[n % len(fixtures)].raw.replace(b"\r\n", b"\n")
                raw = raw.replace(b"Message-ID: <", f"Message-ID: <copy{n}.".encode(), 1)
            else:
                raw = _filler(n, rng)
            out.write(b"From bench@example.org Mon Nov 16 08:00:00 2026\n")
            for line in raw.split(b"\n"):
                out.write((b">" + line if line.startswith(b"From ") else line) + b"\n")
            out.write(b"\n")
    return path.stat().st_size


def quality(fixtures: list[Any], owner: Any, keys: dict[int, str]) -> None:
    from heardback.seeker import mailimport
    from heardback.seeker.models import JobApplication, MailKind, SeekerProfile

    profile = SeekerProfile.objects.get(user=owner)
    applications = list(JobApplication.objects.filter(owner=owner))
    truth: list[str] = []
    got: list[str] = []
    matched = dated = dates_right = 0
    for fixture in fixtures:  # warm up: holiday calendars, regular expressions
        mailimport.read_message(
            fixture.raw, applications=applications, profile=profile, today=date(2026, 12, 1)
        )
    started = time.perf_counter()
    for fixture in fixtures:
        _, proposed = mailimport.read_message(
            fixture.raw, applications=applications, profile=profile, today=date(2026, 12, 1)
        )
        truth.append(fixture.label)
        got.append(proposed.reading.kind if proposed else MailKind.OTHER)
        if proposed is not None and fixture.app != "-":
            app = keys[proposed.application.pk] if proposed.application else "new"
            matched += int(app == fixture.app)
        if fixture.on is not None:
            dated += 1
            dates_right += int(proposed is not None and proposed.reading.event_on == fixture.on)
    elapsed = time.perf_counter() - started
    languages = ", ".join(f"{k} {v}" for k, v in sorted(Counter(f.lang for f in fixtures).items()))
    print(
        f"\nClassification on {len(fixtures)} fixtures ({languages}); "
        f"{elapsed / len(fixtures) * 1000:.2f} ms per message"
    )
    print(f"{'label':<11} {'n':>3} {'precision':>9} {'recall':>7}")
    for label in MailKind.values:
        tp = sum(1 for t, g in zip(truth, got, strict=True) if t == g == label)
        fp = sum(1 for t, g in zip(truth, got, strict=True) if g == label and t != label)
        fn = sum(1 for t, g in zip(truth, got, strict=True) if t == label and g != label)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(f"{label:<11} {truth.count(label):>3} {precision:>9.2f} {recall:>7.2f}")
    hiring = [i for i, t in enumerate(truth) if t != MailKind.OTHER]
    tp = sum(1 for i in hiring if got[i] == truth[i])
    flagged = sum(1 for g in got if g != MailKind.OTHER)
    print(f"hiring mail, exact label: precision {tp / flagged:.2f}, recall {tp / len(hiring):.2f}")
    print(
        f"application matched right: {matched} of {len(hiring)}; "
        f"dates read right: {dates_right} of {dated}"
    )


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from heardback.bench.csv_import import PeakSampler, resident_mb
    from heardback.bench.scratch import scratch_database

    with scratch_database("mail") as vendor:
        from heardback.seeker import mailimport
        from heardback.seeker.models import MailProposal
        from tests.seeker import mail_fixtures
        from tests.seeker.conftest import make_seeker
        from tests.seeker.test_mail_classification import tracked

        fixtures = mail_fixtures.load()
        owner = make_seeker()
        keys = tracked(owner)
        print(
            f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {vendor}, "
            f"load {os.getloadavg()[0]:.1f}"
        )
        quality(fixtures, owner, keys)

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.mbox"
            size = write_mbox(path, args.messages, fixtures)
            print(
                f"\nmbox: {args.messages} messages, {size / 1024 / 1024:.1f} MB; "
                f"resident before: {resident_mb():.0f} MB"
            )
            ours: list[float] = []
            base: list[float] = []
            ours_peak: list[float] = []
            base_peak: list[float] = []
            ours_abs: list[float] = []
            base_abs: list[float] = []
            proposed = 0
            for run in range(args.runs):
                order = ["ours", "base"] if run % 2 == 0 else ["base", "ours"]
                for side in order:
                    before = resident_mb()
                    with PeakSampler() as sampler:
                        started = time.perf_counter()
                        if side == "ours":
                            MailProposal.objects.filter(owner=owner).delete()
                            with path.open("rb") as stream:
                                result = mailimport.import_messages(
                                    owner=owner, messages=mailimport.iter_mbox(stream)
                                )
                            assert result.messages == args.messages, result
                            proposed = result.proposed
                        else:
                            parser = BytesParser(policy=policy.default)
                            box = mailbox.mbox(str(path), create=False)
                            parsed = [
                                parser.parsebytes(box.get_bytes(key)) for key in box.iterkeys()
                            ]
                            assert len(parsed) == args.messages
                            del parsed
                        elapsed = time.perf_counter() - started
                    (ours if side == "ours" else base).append(elapsed)
                    (ours_peak if side == "ours" else base_peak).append(sampler.peak - before)
                    (ours_abs if side == "ours" else base_abs).append(sampler.peak)
                print(
                    f"run {run + 1} ({order[0]} first): import {ours[-1]:.2f} s, baseline "
                    f"{base[-1]:.2f} s, ratio {ours[-1] / base[-1]:.2f}×; peak resident "
                    f"{ours_abs[-1]:.0f} MB (+{ours_peak[-1]:.0f}) vs {base_abs[-1]:.0f} MB "
                    f"(+{base_peak[-1]:.0f})"
                )
            print(
                f"\nImport (median of {args.runs}): {statistics.median(ours):.2f} s "
                f"({args.messages / statistics.median(ours):.0f} messages/s), "
                f"{proposed} proposals"
            )
            print(f"Baseline, parse everything whole (median): {statistics.median(base):.2f} s")
            ratio = statistics.median(o / b for o, b in zip(ours, base, strict=True))
            print(f"Ratio import / baseline (median): {ratio:.2f}×")
            # Freed memory stays with the process: growth means something in run 1 only.
            print(
                f"Peak resident, run 1: import {ours_abs[0]:.0f} MB (+{ours_peak[0]:.0f}), "
                f"baseline {base_abs[0]:.0f} MB (+{base_peak[0]:.0f}); ru_maxrss "
                f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
            )


if __name__ == "__main__":
    main()
