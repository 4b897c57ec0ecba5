"""The "save this job" bookmarklet: a `javascript:` link the seeker drags to their bookmarks.

Clicked on any job page, it posts the page's address and title to Heardback from that page's
origin. It is a CORS *simple* request on purpose: a form-encoded body, no custom headers,
`credentials: "omit"`, so the browser sends no cookie and needs no preflight, and the answer
carries `Access-Control-Allow-Origin: *` so the bookmarklet can read it. It authenticates
with the seeker's bookmarklet key in the body (only its SHA-256 is stored; revocable), never
the session: a page that forges the request can't know the key, which is why the endpoint
needs no CSRF token and doesn't look at cookies at all. When a site's Content Security Policy
blocks the request, the bookmarklet opens the paste-a-URL page with the address filled in
instead (signed in as usual there).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

# The readable source; every line ends a statement or a block, so joining the trimmed lines
# makes the one-line bookmarklet.
_SOURCE = Path(__file__).parent / "static" / "seeker" / "bookmarklet.js"


def source(key: str) -> str:
    """The bookmarklet's `href`, with the seeker's key and this site's address in it."""
    code = " ".join(line.strip() for line in _SOURCE.read_text().splitlines() if line.strip())
    for name, value in (
        ("__SITE__", settings.SITE_URL),
        ("__KEY__", key),
        ("__PAGE__", reverse("seeker:save")),
        ("__API__", reverse("seeker:save_api")),
    ):
        code = code.replace(name, json.dumps(value))
    return "javascript:" + quote(code, safe=" (){}[];:,.=+\"'!*/?&|<>-_$")
