"""The simulator at small scale: nobody is ghosted, whether managers act or not."""

from __future__ import annotations

import re

import pytest

from heardback.sim.season import SeasonConfig, simulate

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.mark.parametrize(("diligence", "applicants", "days"), [(0.0, 100, 30), (0.5, 200, 35)])
def test_a_season_ghosts_nobody(diligence: float, applicants: int, days: int) -> None:
    report = simulate(
        SeasonConfig(jobs=2, applicants=applicants, days=days, diligence=diligence, seed=3)
    )
    print("\n" + report.table())
    assert report.applicants > applicants * 0.5
    assert report.ghosted == 0, report.ghosted_examples
    assert report.check_silence_violations == 0
    assert report.longest_silence_days < 7
    assert report.promises_broken == 0
    assert report.messages_delivered > report.applicants  # real SMTP deliveries happened
    if diligence == 0.0:
        assert report.decisions_by_people == 0
    else:
        assert report.decisions_by_people > 0


@pytest.mark.parametrize("diligence", [0.0, 0.5])
def test_a_season_through_the_greenhouse_bridge_ghosts_nobody(diligence: float) -> None:
    """Every application, decision and closing enters as a signed Greenhouse web hook."""
    report = simulate(
        SeasonConfig(jobs=2, applicants=80, days=30, diligence=diligence, seed=5, via="greenhouse")
    )
    print("\n" + report.table())
    assert report.applicants > 40
    assert report.ghosted == 0, report.ghosted_examples
    assert report.check_silence_violations == 0
    assert report.promises_broken == 0
    assert report.messages_delivered > report.applicants


def test_an_ontario_season_at_diligence_zero_misses_no_legal_deadline() -> None:
    """Nobody acts on a nudge; recruiters interview a share of applicants (some twice, some
    with a screen that does not count): every interviewed applicant is answered in time."""
    report = simulate(
        SeasonConfig(jobs=1, applicants=70, days=60, diligence=0.0, seed=11, jurisdiction="ontario")
    )
    print("\n" + report.table())
    assert re.search(r"legal deadlines missed\s+0$", report.table(), re.MULTILINE)
    assert report.interviewed > 0
    assert report.legal_deadlines_missed == 0
    assert report.ghosted == 0 and report.promises_broken == 0
