"""A seeker's mailbox over IMAP (`imap-tools`), read by the network loop.

`connect_account` stores the server, the username and an app password, the password
encrypted at rest with the ATS bridges' keys (`bridges.secrets`: Fernet, rotatable);
`remove_account` deletes all of it. The network loop's step `poll_mailboxes` reads each
connected mailbox every `SEEKER_IMAP_EVERY_MINUTES`:

- the server is another party's, and its name is the seeker's to type, so the connection
  goes through the same guard as every outbound call (`runtime.http.connect`): in
  production public addresses only, on the IMAPS port (993) only, with TLS; plain IMAP only
  where outbound calls may reach private addresses (tests, a developer's machine);
- one overall deadline (six times `NETWORK_FETCH_DEADLINE_SECONDS`, a mailbox is several round
  trips) covers the connection, the login and every read: a watchdog shuts the socket when
  it passes, so a server that answers one byte a second can't hold the loop;
- the headers come first (`BODY.PEEK[HEADER]`, nothing is marked read), and only messages
  that `mailread.looks_relevant` keeps are fetched whole;
- the first read goes back 90 days; later reads start after the last UID seen (reset when
  the folder's UIDVALIDITY changes).

Fetching happens in worker threads with no database; claims and writes stay in the step's
thread, as in `refresh.py`.
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import re
import socket
import ssl
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from imap_tools import AND, BaseMailBox, MailMessage, U
from imap_tools.errors import MailboxLoginError

from heardback import clock
from heardback.bridges import secrets
from heardback.runtime import http, network
from heardback.runtime.isolation import ItemGuard

from . import mailimport, mailread
from .models import JobApplication, MailAccount, SeekerProfile
from .services import SeekerError

SOURCE = "poll_mailboxes"
IMAPS_PORT = 993
FIRST_READ_DAYS = 90
DEADLINE_ROUNDS = 6  # an IMAP read is several round trips: this many fetch deadlines in all
_FETCH_BATCH = 25

MESSAGES = {
    "login": "Your mail server didn't accept the username and app password. Check them, or "
    "make a new app password, and connect again.",
    "deadline": "Your mail server didn't answer in time; we'll try again later.",
    "unreachable": "We couldn't reach your mail server; we'll try again later.",
    "unresolvable": "We couldn't find that mail server. Check its name.",
    "private": "That isn't a public mail server (we connect to port 993 with TLS only).",
    "address": "That isn't a mail server's name.",
    "protocol": "Your mail server answered something we couldn't read; we'll try again later.",
    "folder": "That folder doesn't exist on your mail server.",
}


class MailboxError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(MESSAGES.get(reason, MESSAGES["protocol"]))
        self.reason = reason


# --- The account ---------------------------------------------------------------------------


def connect_account(
    *, owner: Any, host: str, port: int, username: str, password: str, folder: str = "INBOX"
) -> MailAccount:
    """Store (or replace) the seeker's mailbox. Read on the network loop's next round."""
    if http.guarded() and port != IMAPS_PORT:
        raise SeekerError("We connect to mail servers on port 993 (IMAP with TLS) only.")
    if not password:
        raise SeekerError("The app password is missing.")
    with transaction.atomic():
        MailAccount.objects.filter(owner=owner).delete()
        return MailAccount.objects.create(
            owner=owner, host=host, port=port, username=username.strip(),
            password_encrypted=secrets.encrypt(password), folder=folder.strip() or "INBOX",
            created_at=clock.now(),
        )  # fmt: skip


def remove_account(*, owner: Any) -> None:
    """Forget the mailbox and its password. Proposals already made stay until decided."""
    MailAccount.objects.filter(owner=owner).delete()


# --- Reading a mailbox (worker threads: no database) ---------------------------------------


@dataclass(frozen=True)
class Job:
    host: str
    port: int
    username: str
    password: str
    folder: str
    uid_validity: int | None
    last_uid: int
    since: datetime
    applications: list[JobApplication]
    max_messages: int


@dataclass
class Fetched:
    uid_validity: int | None = None
    last_uid: int = 0
    seen: int = 0
    messages: list[bytes] = field(default_factory=list)


class _Client(imaplib.IMAP4):
    """imaplib over a socket we opened ourselves (checked address, deadline), with TLS on
    top unless plain IMAP is allowed here."""

    def __init__(self, host: str, port: int, *, sock: socket.socket, tls: bool) -> None:
        self._opened = sock
        self._tls = tls
        super().__init__(host, port)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        if not self._tls:
            return self._opened
        return ssl.create_default_context().wrap_socket(self._opened, server_hostname=self.host)


class _Mailbox(BaseMailBox):
    def __init__(self, client: _Client) -> None:
        self._client = client
        super().__init__()

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        return self._client


def read(job: Job, *, deadline: float) -> Fetched:
    """The new relevant messages of one mailbox, all within `deadline` seconds. Raises
    MailboxError. Touches no database: safe in a worker thread."""
    end = time.monotonic() + deadline
    guarded = http.guarded()
    try:
        sock = http.connect(
            job.host, job.port, end=end, public_only=guarded, ports=frozenset({IMAPS_PORT})
        )
    except http.FetchError as error:
        raise MailboxError(error.reason) from error
    sock.settimeout(max(0.05, end - time.monotonic()))
    # The watchdog: at the deadline the socket is shut, so whatever read is waiting fails
    # at once, however slowly the server trickles.
    watchdog = threading.Timer(max(0.0, end - time.monotonic()), _shut, args=(sock,))
    watchdog.daemon = True
    watchdog.start()
    try:
        return _read(job, sock=sock, tls=guarded or job.port == IMAPS_PORT)
    except MailboxError:
        raise
    except MailboxLoginError as error:
        raise MailboxError("login") from error
    except (OSError, imaplib.IMAP4.error, ssl.SSLError, EOFError) as error:
        raise MailboxError("deadline" if time.monotonic() >= end else "unreachable") from error
    except Exception as error:  # imap-tools' own errors, an answer we couldn't parse
        if time.monotonic() >= end:
            raise MailboxError("deadline") from error
        raise MailboxError("protocol") from error
    finally:
        watchdog.cancel()
        _shut(sock)
        sock.close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already shut, or never connected
        sock.shutdown(socket.SHUT_RDWR)


def _read(job: Job, *, sock: socket.socket, tls: bool) -> Fetched:
    client = _Client(job.host, job.port, sock=sock, tls=tls)
    mailbox = _Mailbox(client)
    try:
        mailbox.login(job.username, job.password, initial_folder=None)
        try:
            mailbox.folder.set(job.folder, readonly=True)
        except Exception as error:
            raise MailboxError("folder") from error
        fetched = Fetched(uid_validity=_uid_validity(client), last_uid=job.last_uid)
        if fetched.uid_validity != job.uid_validity:
            fetched.last_uid = 0  # a new folder, as far as UIDs go
        if fetched.last_uid:
            criteria = AND(uid=U(str(fetched.last_uid + 1), "*"))
        else:
            criteria = AND(date_gte=job.since.date())
        uids = sorted(int(u) for u in mailbox.uids(criteria) if u.isdigit())
        # "n:*" names the last message even when it is older than n.
        uids = [u for u in uids if u > fetched.last_uid][: job.max_messages]
        if not uids:
            return fetched
        keep: list[str] = []
        for message in mailbox.fetch(
            uid_list=[str(u) for u in uids], mark_seen=False, headers_only=True,
            bulk=_FETCH_BATCH,
        ):  # fmt: skip
            fetched.seen += 1
            envelope = mailread.envelope(message.obj, fallback_day=job.since.date())
            if mailread.looks_relevant(envelope, job.applications) and message.uid:
                keep.append(message.uid)
        if keep:
            full: MailMessage
            for full in mailbox.fetch(uid_list=keep, mark_seen=False, bulk=_FETCH_BATCH):
                fetched.messages.append(full.obj.as_bytes())
        fetched.last_uid = uids[-1]
        return fetched
    finally:
        with contextlib.suppress(Exception):  # the connection may be gone: nothing to tidy
            client.logout()


def _uid_validity(client: imaplib.IMAP4) -> int | None:
    for raw in client.untagged_responses.get("OK", []):
        text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
        found = re.search(r"UIDVALIDITY (\d+)", text)
        if found:
            return int(found.group(1))
    return None


# --- The network loop's step -----------------------------------------------------------------


def poll_mailboxes(*, now: datetime, limit: int) -> int:
    """Read connected mailboxes that are due; returns how many were read (or failed)."""
    stale = now - timedelta(minutes=int(settings.SEEKER_IMAP_EVERY_MINUTES))
    candidates = iter(
        list(
            MailAccount.objects.filter(Q(checked_at__isnull=True) | Q(checked_at__lt=stale))
            .order_by("checked_at", "id")
            .values_list("id", "checked_at")[: limit * 2]
        )
    )
    guard = ItemGuard(SOURCE, now=now)
    workers = max(1, int(settings.NETWORK_CONCURRENCY))
    deadline = float(settings.NETWORK_FETCH_DEADLINE_SECONDS) * DEADLINE_ROUNDS
    in_flight: dict[Future[Fetched], int] = {}
    handled = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imap") as pool:
        while True:
            while len(in_flight) < workers and handled + len(in_flight) < limit:
                if network.stopping():
                    break
                claimed = _claim_next(candidates, guard=guard, now=now)
                if claimed is None:
                    break
                in_flight[pool.submit(read, claimed[1], deadline=deadline)] = claimed[0]
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                account_id = in_flight.pop(future)
                guard.run(
                    f"mailbox:{account_id}",
                    functools.partial(_record, account_id, future, now=now),
                    org_id=None,
                    label=f"Seeker mailbox {account_id}",
                )
                handled += 1
    return handled


def _claim_next(candidates: Any, *, guard: ItemGuard, now: datetime) -> tuple[int, Job] | None:
    for account_id, checked_at in candidates:
        if guard.waiting(f"mailbox:{account_id}"):
            continue
        if not MailAccount.objects.filter(pk=account_id, checked_at=checked_at).update(
            checked_at=now
        ):
            continue  # another network loop has it, or it was removed
        account = MailAccount.objects.get(pk=account_id)
        try:
            password = secrets.decrypt(account.password_encrypted)
        except ValueError:
            MailAccount.objects.filter(pk=account_id).update(last_error=MESSAGES["login"])
            continue
        applications = list(
            JobApplication.objects.filter(owner_id=account.owner_id).order_by("-applied_on")
        )
        return account_id, Job(
            host=account.host, port=account.port, username=account.username,
            password=password, folder=account.folder, uid_validity=account.uid_validity,
            last_uid=account.last_uid, since=now - timedelta(days=FIRST_READ_DAYS),
            applications=applications, max_messages=int(settings.SEEKER_IMAP_MAX_MESSAGES),
        )  # fmt: skip
    return None


def _record(account_id: int, future: Future[Fetched], *, now: datetime) -> None:
    account = MailAccount.objects.filter(pk=account_id).first()
    if account is None:
        return  # removed while we read: forget what was read
    try:
        fetched = future.result()
    except MailboxError as error:
        MailAccount.objects.filter(pk=account_id).update(last_error=str(error)[:300])
        return
    if not SeekerProfile.objects.filter(user_id=account.owner_id).exists():
        return
    mailimport.import_messages(
        owner=account.owner, messages=fetched.messages, source="imap", now=now
    )
    MailAccount.objects.filter(pk=account_id).update(
        uid_validity=fetched.uid_validity, last_uid=fetched.last_uid, last_error=""
    )
