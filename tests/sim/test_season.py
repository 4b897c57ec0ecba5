"""The simulator at small scale: nobody is ghosted, whether managers act or not."""

from __future__ import annotations

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
