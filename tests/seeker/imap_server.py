"""A small IMAP4rev1 server for the tests: a real socket, the real protocol, over asyncio.

It speaks what a mail client needs to read a folder (RFC 3501): CAPABILITY, LOGIN, SELECT
and EXAMINE, SEARCH and UID SEARCH (ALL, UID sets, SINCE), FETCH and UID FETCH (UID, FLAGS,
RFC822.SIZE, BODY[], BODY[HEADER], BODY.PEEK of both), NOOP and LOGOUT. Anything else is a
BAD answer, as a real server would give. No TLS: the client allows plain IMAP only where
outbound calls may reach loopback (the test settings).

`trickle` makes every answer after the greeting go out one byte at a time with a pause, to
test the client's overall deadline; `logins` counts LOGIN commands; `commands` records
every command (without the password).
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from email.utils import parsedate_to_datetime

_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1
)}  # fmt: skip


@dataclass
class Stored:
    uid: int
    raw: bytes
    internal: date
    flags: list[str] = field(default_factory=list)

    @property
    def header(self) -> bytes:
        end = self.raw.find(b"\r\n\r\n")
        if end < 0:
            end = self.raw.find(b"\n\n")
            return self.raw if end < 0 else self.raw[: end + 2]
        return self.raw[: end + 4]


class ImapServer:
    def __init__(
        self,
        *,
        user: str = "robin@example.org",
        password: str = "app-password",  # noqa: S107 (the test server's own)
    ) -> None:
        self.user, self.password = user, password
        self.folders: dict[str, list[Stored]] = {"INBOX": []}
        self.uid_validity = 1701
        self.next_uid = 1
        self.trickle: float = 0.0
        self.commands: list[str] = []
        self.logins = 0
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # --- the mailbox ---

    def add(self, raw: bytes, *, folder: str = "INBOX") -> int:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        try:
            head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
            found = re.search(r"^Date: (.+)$", head, re.MULTILINE | re.IGNORECASE)
            internal = parsedate_to_datetime(found.group(1)).date() if found else date.today()
        except (TypeError, ValueError):
            internal = date.today()
        uid = self.next_uid
        self.next_uid += 1
        self.folders.setdefault(folder, []).append(Stored(uid=uid, raw=raw, internal=internal))
        return uid

    # --- running ---

    def start(self) -> ImapServer:
        self._thread = threading.Thread(target=self._run, name="imap-test-server", daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the IMAP test server didn't start"
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

    # --- one connection ---

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state = {"auth": False, "folder": None}
        try:
            writer.write(b"* OK [CAPABILITY IMAP4rev1] Heardback test IMAP ready\r\n")
            await writer.drain()
            while True:
                line = await reader.readline()
                if not line:
                    return
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                tag, _, rest = text.partition(" ")
                answer, done = self._answer(tag, rest, state)
                await self._send(writer, answer)
                if done:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        if not self.trickle:
            writer.write(data)
            await writer.drain()
            return
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
            await asyncio.sleep(self.trickle)

    def _answer(self, tag: str, rest: str, state: dict[str, object]) -> tuple[bytes, bool]:
        command, _, args = rest.partition(" ")
        command = command.upper()
        uid = False
        if command == "UID":
            uid = True
            command, _, args = args.partition(" ")
            command = command.upper()
        self.commands.append(
            "LOGIN" if command == "LOGIN" else f"{'UID ' if uid else ''}{command} {args}"
        )
        ok = f"{tag} OK {command} completed\r\n".encode()
        if command == "CAPABILITY":
            return b"* CAPABILITY IMAP4rev1\r\n" + ok, False
        if command == "NOOP":
            return ok, False
        if command == "LOGOUT":
            return b"* BYE logging out\r\n" + ok, True
        if command == "LOGIN":
            self.logins += 1
            words = _strings(args)
            if len(words) == 2 and words == [self.user, self.password]:
                state["auth"] = True
                return ok, False
            return f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n".encode(), False
        if not state["auth"]:
            return f"{tag} BAD not authenticated\r\n".encode(), False
        if command in ("SELECT", "EXAMINE"):
            name = (_strings(args) or [""])[0]
            if name.upper() == "INBOX":
                name = "INBOX"
            if name not in self.folders:
                return f"{tag} NO no such folder\r\n".encode(), False
            state["folder"] = name
            messages = self.folders[name]
            mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
            return (
                f"* {len(messages)} EXISTS\r\n* 0 RECENT\r\n"
                f"* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n"
                f"* OK [UIDVALIDITY {self.uid_validity}] UIDs valid\r\n"
                f"* OK [UIDNEXT {self.next_uid}] next\r\n"
                f"{tag} OK [{mode}] {command} completed\r\n"
            ).encode(), False
        folder = state["folder"]
        if not isinstance(folder, str):
            return f"{tag} BAD no folder selected\r\n".encode(), False
        messages = self.folders[folder]
        if command == "SEARCH":
            found = self._search(messages, args)
            numbers = [m.uid if uid else messages.index(m) + 1 for m in found]
            return ("* SEARCH" + "".join(f" {n}" for n in numbers) + "\r\n").encode() + ok, False
        if command == "FETCH":
            target, _, items = args.partition(" ")
            chosen = _in_set(messages, target, by_uid=uid)
            out = b""
            for message in chosen:
                out += self._fetch_one(messages.index(message) + 1, message, items.upper())
            return out + ok, False
        return f"{tag} BAD unknown command\r\n".encode(), False

    def _search(self, messages: list[Stored], args: str) -> list[Stored]:
        text = args.strip()
        text = re.sub(r"^CHARSET \S+ ", "", text, flags=re.IGNORECASE).strip("() ")
        chosen = list(messages)
        for key, value in re.findall(r"(ALL|UID|SINCE)\s*(\S*)", text, re.IGNORECASE):
            key = key.upper()
            if key == "UID":
                chosen = [m for m in chosen if m in _in_set(messages, value, by_uid=True)]
            elif key == "SINCE":
                day, month, year = value.split("-")
                since = date(int(year), _MONTHS[month.title()], int(day))
                chosen = [m for m in chosen if m.internal >= since]
        return chosen

    def _fetch_one(self, number: int, message: Stored, items: str) -> bytes:
        parts = [f"UID {message.uid}", f"FLAGS ({' '.join(message.flags)})",
                 f"RFC822.SIZE {len(message.raw)}"]  # fmt: skip
        if "BODY[HEADER]" in items or "BODY.PEEK[HEADER]" in items:
            body, name = message.header, "BODY[HEADER]"
        elif "BODY[]" in items or "BODY.PEEK[]" in items or "RFC822" in items.split():
            body, name = message.raw, "BODY[]"
        else:
            return f"* {number} FETCH ({' '.join(parts)})\r\n".encode()
        if "PEEK" not in items and "\\Seen" not in message.flags:
            message.flags.append("\\Seen")
        head = f"* {number} FETCH ({' '.join(parts)} {name} {{{len(body)}}}\r\n".encode()
        return head + body + b")\r\n"


def _strings(args: str) -> list[str]:
    """IMAP astrings: quoted (with \\ escapes) or atoms."""
    found = []
    for quoted, atom in re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', args):
        found.append(re.sub(r"\\(.)", r"\1", quoted) if quoted or not atom else atom)
    return found


def _in_set(messages: list[Stored], spec: str, *, by_uid: bool) -> list[Stored]:
    if not messages:
        return []
    top = messages[-1].uid if by_uid else len(messages)
    wanted: list[tuple[int, int]] = []
    for piece in spec.split(","):
        low, _, high = piece.partition(":")
        a = top if low == "*" else int(low)
        b = a if not high else (top if high == "*" else int(high))
        wanted.append((min(a, b), max(a, b)))
    chosen = []
    for index, message in enumerate(messages, start=1):
        key = message.uid if by_uid else index
        if any(a <= key <= b for a, b in wanted):
            chosen.append(message)
    return chosen


def started(**kwargs: str) -> ImapServer:
    return ImapServer(**kwargs).start()
