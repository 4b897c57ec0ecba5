"""SMTP delivery over one connection per batch, with the server's reply codes kept."""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from heardback.messaging.transports.base import Outcome, OutgoingEmail, SendResult


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: bool = False
    implicit_tls: bool = False
    # Per phase, so one stalled server costs seconds, not a batch: connecting and each
    # command get `command_timeout`; the server's verdict after the message (`timeout`)
    # may take longer, as a server scans the message then.
    timeout: float = 30.0
    command_timeout: float = 10.0

    @classmethod
    def from_url(
        cls, url: str, *, timeout: float = 30.0, command_timeout: float = 10.0
    ) -> SmtpSettings:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError(f"Not an SMTP URL: {parts.scheme}://…")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        implicit_tls = parts.scheme == "smtps" or query.get("ssl") == "1"
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (465 if implicit_tls else 25),
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            starttls=query.get("tls") == "1",
            implicit_tls=implicit_tls,
            timeout=timeout,
            command_timeout=min(command_timeout, timeout),
        )


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _reply(smtp: smtplib.SMTP) -> tuple[int, bytes]:
    return smtp.getreply()


class _WaitHook:
    """smtplib's DATA, with one change: after the message bytes are on their way and
    before the server's verdict is read, run `while_waiting`. The server spends most of a
    send processing the message; the worker uses that time to build the next one."""

    while_waiting: Callable[[], None] | None = None
    verdict_timeout: float | None = None
    last_verdict: tuple[int, bytes] | None = None

    def data(self, msg: Any) -> tuple[int, bytes]:
        smtp: Any = self
        hook, self.while_waiting = self.while_waiting, None
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        payload = _LEADING_DOT.sub(b"..", msg)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        smtp.send(payload + b".\r\n")
        if hook is not None:
            hook()
        command_timeout = smtp.sock.gettimeout() if smtp.sock is not None else None
        if smtp.sock is not None and self.verdict_timeout is not None:
            smtp.sock.settimeout(self.verdict_timeout)
        try:
            verdict = _reply(smtp)
            # Kept as the delivery evidence: what the server said when it took the message.
            self.last_verdict = verdict
            return verdict
        finally:
            if smtp.sock is not None:
                smtp.sock.settimeout(command_timeout)


# An address already validated by the outbox: dot-atom local part, plain ASCII domain, and
# nothing that could end a command line. Only these skip smtplib's re-parsing.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")


class _PlainEnvelope:
    """MAIL FROM / RCPT TO without smtplib's `quoteaddr()`, which runs the full RFC 822
    address parser on every call (a fifth of the worker's CPU per message). For a plain
    address it only adds angle brackets; anything else still goes through smtplib."""

    def mail(self, sender: str, options: Any = ()) -> tuple[int, bytes]:
        smtp: Any = self
        if not _PLAIN_ADDRESS.fullmatch(sender) or any(
            option.lower() == "smtputf8" for option in options
        ):
            return cast(tuple[int, bytes], super().mail(sender, options))  # type: ignore[misc]
        extra = " " + " ".join(options) if options and smtp.does_esmtp else ""
        smtp.putcmd("mail", f"from:<{sender}>{extra}")
        return _reply(smtp)

    def rcpt(self, recip: str, options: Any = ()) -> tuple[int, bytes]:
        smtp: Any = self
        if not _PLAIN_ADDRESS.fullmatch(recip):
            return cast(tuple[int, bytes], super().rcpt(recip, options))  # type: ignore[misc]
        extra = " " + " ".join(options) if options and smtp.does_esmtp else ""
        smtp.putcmd("rcpt", f"to:<{recip}>{extra}")
        return _reply(smtp)


class _SMTP(_PlainEnvelope, _WaitHook, smtplib.SMTP):
    pass


class _SMTP_SSL(_PlainEnvelope, _WaitHook, smtplib.SMTP_SSL):
    pass


def _reply_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _classify(code: int, detail: str) -> SendResult:
    outcome = Outcome.PERMANENT if 500 <= code < 600 else Outcome.TRANSIENT
    return SendResult(outcome=outcome, code=code, detail=f"{code} {detail}".strip())


class SmtpTransport:
    def __init__(self, config: SmtpSettings) -> None:
        self.config = config
        self._connection: _SMTP | _SMTP_SSL | None = None

    def open(self) -> None:
        if self._connection is not None:
            return
        cfg = self.config
        if cfg.implicit_tls:
            connection: _SMTP | _SMTP_SSL = _SMTP_SSL(
                cfg.host,
                cfg.port,
                timeout=cfg.command_timeout,
                context=ssl.create_default_context(),
            )
        else:
            connection = _SMTP(cfg.host, cfg.port, timeout=cfg.command_timeout)
        connection.verdict_timeout = cfg.timeout
        if cfg.starttls:
            connection.starttls(context=ssl.create_default_context())
        if cfg.username:
            connection.login(cfg.username, cfg.password)
        self._connection = connection

    def send(
        self, email: OutgoingEmail, *, while_waiting: Callable[[], None] | None = None
    ) -> SendResult:
        try:
            self.open()
            assert self._connection is not None
            self._connection.while_waiting = while_waiting
            self._connection.last_verdict = None
            refused = self._connection.sendmail(email.envelope_from, [email.recipient], email.data)
        except ValueError as error:
            # An address smtplib refuses to put into a command: non-ASCII (no SMTPUTF8 here)
            # or containing a line break. The session may be mid-transaction, so the next
            # message starts on a fresh connection.
            self._drop()
            return SendResult(
                Outcome.PERMANENT, detail=f"the address can't be sent over SMTP: {error}"
            )
        except smtplib.SMTPRecipientsRefused as error:
            code, raw = next(iter(error.recipients.values()))
            return self._refused(code, _reply_text(raw))
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            return self._refused(error.smtp_code, _reply_text(error.smtp_error))
        except smtplib.SMTPResponseException as error:
            self._drop()
            result = _classify(error.smtp_code, _reply_text(error.smtp_error))
            return SendResult(result.outcome, result.code, result.detail, connection_lost=True)
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            # Lost connection, refused connection, timeout: the message may or may not have
            # been accepted. Retry (at-least-once); the Message-ID lets receivers dedupe.
            self._drop()
            return SendResult(
                Outcome.TRANSIENT, detail=f"{type(error).__name__}: {error}", connection_lost=True
            )
        if refused:
            code, raw = next(iter(refused.values()))
            return _classify(code, _reply_text(raw))
        verdict = self._connection.last_verdict
        if verdict is None:
            return SendResult(Outcome.SENT)
        code, raw = verdict
        return SendResult(Outcome.SENT, code=code, detail=f"{code} {_reply_text(raw)}"[:2000])

    def _refused(self, code: int, detail: str) -> SendResult:
        """One message refused. A 421 means the server is closing the session (smtplib has
        already closed its socket): the connection is discarded so the next message opens a
        new one instead of failing with "please run connect() first"."""
        result = _classify(code, detail)
        closing = code == 421 or self._connection is None or self._connection.sock is None
        if not closing:
            return result
        self._drop()
        return SendResult(result.outcome, result.code, result.detail, connection_lost=True)

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()
