"""What people type, made safe to store, show and put in an email.

Header safety: nothing a candidate types can add a header to an email we send. Names: no
invisible or text-reversing characters, and no links.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

# Everything str.splitlines() treats as a line break, plus other control characters.
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def single_line(value: str, *, max_length: int = 300) -> str:
    """Collapse any line separators and control characters into single spaces."""
    flat = _CONTROL.sub("", _LINE_BREAKS.sub(" ", value))
    return " ".join(flat.split())[:max_length]


# --- names ----------------------------------------------------------------------------------

# Control (Cc), format (Cf) and lone surrogate (Cs) characters. Format characters are
# invisible but not harmless: U+202E and U+2066 to U+2069 reverse or isolate the text around
# them (a name can make the console or a mail client show something else than is stored),
# U+200B to U+200F and U+FEFF hide inside words so two names look alike, or a link hides
# from a filter. Letters and marks of every script stay.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs"})

# Run on the NFKC form, so full-width and other look-alike letters count as the plain ones.
_DOTS = str.maketrans({"\u3002": "."})  # the ideographic full stop: a dot to IDNA
_EMAIL_LIKE = re.compile(r"[^\s@]@[^\s@]")
_SCHEME = re.compile(
    r"://|(?<![\w.+-])(?:mailto|javascript|data|file|ftp|tel|sms|sip|xmpp|callto|skype):",
)
# example.com, www.example.org/path, münchen.de:8080: dot-separated labels ending in a word
# of letters, not inside a longer word, maybe followed by a port, path or query.
_DOMAIN = re.compile(r"(?<![\w.-])((?:[\w-]+\.)+)([^\W\d_]{2,63})(?![\w-])([:/?#])?")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# What Django's urlize (our HTML emails) links whatever comes before the dot, "x.com" too.
_URLIZE_TLDS = frozenset({"com", "edu", "gov", "int", "mil", "net", "org"})


def _looks_like_a_link(name: str) -> bool:
    """True if a mail client or our own HTML (Django's urlize) could turn part of the name
    into a link or a mailto: address.

    "J.R.R. Tolkien" and "Dr. Who" stay names; "ada.dev", "x.com", "www.x.org" and "t.co/x"
    do not: a dot between a word of two or more characters and a word of letters is how mail
    clients recognise a domain. ("Dr.Who", written without the space, is refused too; the
    message asks for just the name, and a space fixes it.)
    """
    text = unicodedata.normalize("NFKC", name).casefold().translate(_DOTS)
    if _EMAIL_LIKE.search(text) or _SCHEME.search(text) or _IPV4.search(text):
        return True
    for match in _DOMAIN.finditer(text):
        labels, tld, path = match.group(1).rstrip(".").split("."), match.group(2), match.group(3)
        if path or tld in _URLIZE_TLDS or any(len(label) >= 2 for label in labels):
            return True
    return False


def clean_person_name(value: str, *, max_length: int = 200) -> str:
    """A person's name as it is stored, shown and put into a To header: on one line, without
    invisible or direction-changing characters, and never a link.

    The one cleaner for every way a person's name comes in: `hiring.services.apply` calls it,
    so the apply form, the API and the ATS bridges share it, and so does the apply form's own
    check (to answer in the candidate's language). Raises ValidationError for an empty name
    or one that holds a web or email address.
    """
    flat = single_line(value, max_length=max(max_length * 4, 1000))
    visible = "".join(ch for ch in flat if unicodedata.category(ch) not in _INVISIBLE)
    name = " ".join(visible.split())
    if not name:
        raise ValidationError(_("Please enter your name."), code="required")
    if _looks_like_a_link(name):
        raise ValidationError(
            _("Please enter just your name, without a web address or an email address."),
            code="link",
        )
    return name[:max_length].rstrip()


# Names that only ever mean this machine or this network (RFC 6761, RFC 6762).
_MACHINE_DOMAINS = (".localhost", ".local", ".localdomain")


def _ascii_domain(domain: str) -> str:
    """The domain as it goes over SMTP: an internationalised one (bücher.example) IDNA-encoded
    (xn--bcher-kva.example), so it can be stored, compared and sent as plain ASCII."""
    try:
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise ValueError(domain) from error


def clean_email_address(value: str) -> str:
    """A single, valid, deliverable address, or a ValidationError with a message a person can
    act on.

    The one cleaner for every address we store or send to (apply, imports, the outbox). An
    internationalised domain is stored IDNA-encoded; a local part beyond ASCII is refused,
    since not every mail server takes one (SMTPUTF8) and the send would fail for good later.
    Addresses that only reach a machine (root@localhost, a@[127.0.0.1], a one-label
    domain) are refused too: no candidate or contact lives there.
    """
    address = value.strip()
    if not address:
        raise ValidationError("Please enter an email address.", code="required")
    if _LINE_BREAKS.search(address) or _CONTROL.search(address) or "," in address:
        raise ValidationError("Please enter a single email address on one line.", code="invalid")
    # Shown back in a page or a report: without lone surrogates, which can't be encoded.
    shown = single_line(address.encode("utf-8", "replace").decode("utf-8"), max_length=80)
    if shown != single_line(address, max_length=80):
        raise ValidationError(f"“{shown}” is not a valid email address.", code="invalid")
    local, _, domain = address.rpartition("@")
    if domain.startswith("["):
        raise ValidationError(
            f"“{shown}” names a machine's address, not a mail domain. Please enter an "
            "address like name@example.com.",
            code="literal",
        )
    if not local.isascii():
        raise ValidationError(
            f"“{shown}”: we can only send to addresses whose part before the @ uses Latin "
            "letters, digits and . _ - +. Please enter another address.",
            code="local_part",
        )
    try:
        validate_email(address)
    except ValidationError as error:
        raise ValidationError(f"“{shown}” is not a valid email address.", code="invalid") from error
    try:
        ascii_domain = _ascii_domain(domain)
    except ValueError:
        raise ValidationError(f"“{shown}” is not a valid email address.", code="invalid") from None
    bare = ascii_domain.strip(".")
    if "." not in bare or bare.endswith(_MACHINE_DOMAINS):
        raise ValidationError(
            f"“{shown}” is not an address on the internet. Please enter an address like "
            "name@example.com.",
            code="local_domain",
        )
    return f"{local}@{ascii_domain}"
