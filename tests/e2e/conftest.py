"""The console's browser fixtures (a live server, a small realistic org), shared by the
browser tests of this folder."""

from tests.e2e.test_console_pages import hiring_season, site

__all__ = ["hiring_season", "site"]
