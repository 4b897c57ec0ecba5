"""Status links: minted when a message is sent, never stored in a message.

A stored message body holds `status_link_placeholder()` where the candidate's private
link goes. The delivery worker asks the registered minter (the portal registers one) for a
fresh token per message just before building the email, and fills it in the bytes it sends
only: the outbox row, which staff can read, keeps the placeholder. Previews never mint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.conf import settings

from heardback.messaging.models import Message

# Not a token's shape (tokens are [A-Za-z0-9_-]), safe in a URL, left alone by escaping.
LINK_SLOT = "~status-link~"
REDACTED = "[private link]"

# (org_id, application_id) pairs in, one fresh token per pair out (same order).
Minter = Callable[[Sequence[tuple[int, int]]], list[str]]
_minter: Minter | None = None


def register_minter(minter: Minter) -> None:
    global _minter
    _minter = minter


def status_link_placeholder() -> str:
    return f"{settings.SITE_URL}/s/{LINK_SLOT}/"


def redacted(text: str) -> str:
    """A stored body as staff may see it: the link shown as private."""
    return text.replace(status_link_placeholder(), REDACTED).replace(LINK_SLOT, REDACTED)


def fill_status_links(messages: Iterable[Message]) -> None:
    """Mint a token for each message that has a link slot, and fill it in (in memory only).

    One call per batch: the minter writes every token of the batch at once.
    """
    waiting = [
        m
        for m in messages
        if m.application_id is not None
        and m.org_id is not None
        and (LINK_SLOT in m.body_text or LINK_SLOT in m.body_html)
    ]
    if not waiting:
        return
    tokens = (
        _minter([(m.org_id, m.application_id) for m in waiting])  # type: ignore[misc]
        if _minter is not None
        else ["" for _ in waiting]
    )
    for message, token in zip(waiting, tokens, strict=True):
        if token:
            message.body_text = message.body_text.replace(LINK_SLOT, token)
            message.body_html = message.body_html.replace(LINK_SLOT, token)
        else:  # no portal installed: say where to go rather than send a dead link
            message.body_text = message.body_text.replace(
                status_link_placeholder(), settings.SITE_URL + "/"
            )
            message.body_html = message.body_html.replace(
                status_link_placeholder(), settings.SITE_URL + "/"
            )
