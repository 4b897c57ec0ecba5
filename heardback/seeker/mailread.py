"""Reading an employer's email: is it hiring mail, what does it say, which application is it.

The seeker's mailbox is private, so reading happens in two steps. `looks_relevant` sees only
the sender and the subject and decides whether a message is read at all: it must come from
a sender or domain that matches a tracked application, or look like hiring mail. Only then
does `classify` read the text, and what it keeps is the one sentence that gave the update
away (`Reading.excerpt`), which the seeker sees on the proposal.

The classifier is a table of phrases in English, German and Spanish, in order of what
decides: an offer, then a rejection (kind ones too: "we've decided to move forward with
other candidates"), then an interview invitation, then a promised date ("we'll get back to
you by Friday", read with the seeker's own phrase parser), then an acknowledgement. Anything
else is "other". Its precision and recall on the fixture set are printed by
`python -m tests.bench.mail_classification` (docs/benchmarks.md).
"""

# The phrase table's regular expressions read best whole, one to a line (E501); subjects
# are matched with the dashes people type in them (RUF001).
# ruff: noqa: E501, RUF001
from __future__ import annotations

import contextlib
import email.header
import email.utils
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage, Message
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from .models import JobApplication, MailKind
from .phrases import WEEKDAYS, PromiseNotUnderstood, parse_promise
from .status_feed import status_json_url

MAX_TEXT = 20_000  # characters of body read per message: updates are in the first lines

# --- The phrase table ----------------------------------------------------------------------

_OFFER = [
    # en
    r"\b(?:pleased|delighted|happy|excited|thrilled) to (?:extend|offer|make)\b[^.]{0,40}\boffer\b",
    r"\b(?:pleased|delighted|happy|excited|thrilled) to offer you (?:the|a|this) (?:position|role|job)\b",
    r"\bwe(?:'d| would) like to offer you\b",
    r"\b(?:offer letter|offer of employment|formal offer|job offer)\b",
    # de
    r"\b(?:ihnen|dir) (?:ein|unser) (?:\w+ )?(?:vertrags)?angebot\b",
    r"\b(?:vertragsangebot|arbeitsvertragsangebot|jobangebot)\b",
    r"\b(?:ihnen|dir) die stelle (?:\w+ ){0,3}anbieten\b",
    r"\bzusage für die stelle\b",
    # es
    r"\bnos (?:complace|alegra) (?:ofrecerte|ofrecerle|hacerte|hacerle|extenderte|extenderle)\b",
    r"\b(?:oferta (?:de empleo|de trabajo|laboral|formal)|carta oferta|propuesta de contratación)\b",
]
_REJECTION = [
    # en
    r"\b(?:decided|chosen|chose|opted) to (?:move forward|proceed|go forward|continue|pursue|progress)"
    r" with (?:other|another|a different|different) (?:candidates?|applicants?|profiles?)\b",
    r"\b(?:will|would|are) not be (?:moving|progressing|proceeding|taking) (?:forward|further)?"
    r" ?(?:with )?your (?:application|candidacy)\b",
    r"\bnot (?:to )?(?:move|moving|proceed|proceeding|progress|progressing) (?:forward |further )?"
    r"with your (?:application|candidacy)\b",
    r"\bregret to (?:inform|let you know|tell you)\b",
    r"\b(?:position|role|vacancy) has (?:now )?been filled\b",
    r"\b(?:were|have|has|'ve) not been (?:successful|selected|shortlisted)\b",
    r"\b(?:were|was) not (?:successful|selected|shortlisted)\b",
    r"\b(?:decided|chosen) not to (?:move forward|proceed|progress|continue|offer)\b",
    r"\bother candidates whose (?:experience|profiles?|skills|backgrounds?)\b",
    # de
    r"\b(?:für|mit) (?:einen |eine )?andere[nr]? (?:kandidat|bewerber)",
    r"\bgegen (?:ihre|deine) bewerbung entschieden\b",
    r"\b(?:nicht|leider keine) (?:weiter )?berücksichtigen\b",
    r"\bnicht (?:weiter )?berücksichtigt werden\b",
    r"\bnicht in die engere auswahl\b",
    r"\b(?:stelle|position) (?:wurde |ist )?(?:inzwischen |mittlerweile |bereits |leider |"
    r"anderweitig )*(?:besetzt|vergeben)\b",
    r"\bkeine positive (?:nachricht|rückmeldung)\b",
    r"\babsage\b",
    # es
    r"\blamentamos (?:comunicarte|informarte|informarle|comunicarle|decirte)\b",
    r"\b(?:hemos|han) decidido (?:continuar|seguir|avanzar|avanzar) con otr[oa]s? "
    r"(?:candidat|perfil|personas)",
    r"\bno (?:ha|has|han) sido seleccionad",
    r"\bno (?:continuar|seguir|avanzar)(?:emos)? (?:adelante )?con (?:tu|su) (?:candidatura|solicitud)",
    r"\b(?:puesto|vacante|posición) (?:ya )?(?:ha sido|fue) (?:cubiert|ocupad)",
    r"\botr[oa]s (?:candidat[oa]s|perfiles) (?:cuy[oa]s?|que se ajustan|más)",
]
_INTERVIEW = [
    # en
    r"\b(?:invite|inviting) you (?:to|for) (?:an? |the |your )?(?:[\w-]+ ){0,3}"
    r"(?:interview|call|chat|conversation|conversations|meeting|assessment)\b",
    r"\b(?:like|love|want) to (?:schedule|set up|arrange|book) (?:an? |the |your )?(?:[\w-]+ ){0,3}"
    r"(?:interview|call|chat|conversation)\b",
    r"\b(?:interview (?:invitation|confirmation)|invitation to interview)\b",
    r"\byour (?:[\w-]+ ){0,2}interview (?:is|has been) (?:scheduled|confirmed|booked)\b",
    r"\b(?:pick|choose|book|select) a (?:time|slot)\b[^.]{0,60}\b(?:interview|call|chat)\b",
    r"\bnext (?:step|round) (?:is|will be) an? (?:[\w-]+ ){0,3}(?:interview|call|chat)\b",
    # de
    r"\b(?:einladen|einlade)(?:,)? (?:zu|zum|zur) (?:einem |einer )?(?:[\w-]+ ){0,2}"
    r"(?:gespräch|vorstellungsgespräch|interview|telefonat|kennenlernen|videocall|termin)\b",
    r"\beinladung (?:zum|zu einem|zur) (?:[\w-]+ ){0,2}"
    r"(?:gespräch|vorstellungsgespräch|interview|kennenlernen)\b",
    r"\b(?:zu|zum|zur) (?:einem |einer )?(?:[\w-]+ ){0,2}(?:gespräch|vorstellungsgespräch|"
    r"interview|telefoninterview|telefonat|kennenlernen|videocall)\w* (?:[\w-]+ ){0,4}"
    r"ein(?:zu)?laden\b",
    r"\b(?:sie|dich) (?:gerne |gern )?(?:persönlich )?kennenlernen\b",
    r"\btermin für (?:ein|das|ihr|dein) (?:[\w-]+ )?(?:gespräch|interview)\b",
    # es
    r"\b(?:invitarte|invitarle|invitaros) a una (?:[\w-]+ ){0,2}(?:entrevista|llamada|videollamada)\b",
    r"\b(?:agendar|programar|concertar|coordinar|organizar) una (?:[\w-]+ ){0,2}"
    r"(?:entrevista|llamada|videollamada)\b",
    r"\b(?:te|le) (?:invitamos|convocamos) a (?:una |la )?(?:[\w-]+ ){0,2}entrevista\b",
    r"\bconvocatoria (?:a|de|para) (?:la |una )?entrevista\b",
]
_RECEIVED = [
    # en
    r"\b(?:we(?:'ve| have)|has been|we) (?:successfully |safely )?received your "
    r"(?:job )?(?:application|cv|resume|résumé)\b",
    r"\bthank(?:s| you) for (?:your (?:recent )?application|applying)\b",
    r"\byour application (?:has been|was) (?:successfully )?(?:received|submitted)\b",
    r"\bapplication (?:received|confirmation)\b",
    # de
    r"\b(?:vielen |herzlichen )?dank für (?:ihre|deine) (?:online-)?bewerbung\b",
    r"\b(?:ihre|deine) bewerbung ist (?:bei uns )?(?:gut |erfolgreich )?eingegangen\b",
    r"\beingangsbestätigung\b",
    r"\b(?:ihre|deine) (?:bewerbung|unterlagen) (?:erhalten|bekommen)\b",
    # es
    r"\b(?:hemos recibido|recibimos) (?:correctamente )?(?:tu|su) "
    r"(?:candidatura|solicitud|cv|currículum|postulación)\b",
    r"\bgracias por (?:tu|su) (?:candidatura|solicitud|postulación)\b",
    r"\bgracias por (?:aplicar|postularte|postular|inscribirte)\b",
]
# A promise: who will answer, then when. `when` goes to the phrase parser (after a German
# or Spanish phrase is put into the English one it means).
_PROMISE = [
    r"\b(?:get back to you|be in touch|hear (?:back )?from us|let you know|come back to you|"
    r"update you|give you (?:an update|feedback|our decision|a decision)|reach out|"
    r"(?:make|have|reach) (?:a|our|the|their) (?:final )?decision|send you (?:an update|feedback))"
    r"[^.!?\n]{0,30}?(?P<when>\b(?:by|within|in|before|no later than|early|mid|next|this|"
    r"end of|by the end of|over the next)\b[^.,;!?\n]{2,40})",
    # de
    r"\b(?:melden (?:uns|wir uns)|bei (?:ihnen|dir) melden|rückmeldung|bescheid|entscheidung|"
    r"entscheiden|antwort)[^.!?\n]{0,40}?(?P<when>\b(?:bis|innerhalb|in den nächsten|spätestens|"
    r"bis zum|bis ende|nächste woche|anfang nächsten monats|ende (?:dieser|der|nächster) woche|"
    r"im laufe der nächsten)\b[^.,;!?\n]{0,40})",
    r"(?P<when>\b(?:bis|innerhalb|in den nächsten|spätestens|im laufe der nächsten)\b"
    r"[^.,;!?\n]{2,40}?)\s+(?:bei (?:ihnen|dir) melden|rückmeldung|bescheid|eine entscheidung|"
    r"melden)\b",
    # es
    r"\b(?:nos pondremos en contacto|te contactaremos|le contactaremos|te escribiremos|"
    r"te daremos|le daremos|te informaremos|le informaremos|tendremos una (?:respuesta|decisión)|"
    r"respuesta|decisión)[^.!?\n]{0,40}?(?P<when>\b(?:antes del?|en (?:las|los) próxim[oa]s|"
    r"en un plazo de|dentro de|el próximo|la próxima semana|a finales de|esta semana|"
    r"a principios del?)\b[^.,;!?\n]{0,40})",
]
# Job words: an acknowledgement must be about a job (not a credit-card application).
_JOB_WORDS = re.compile(
    r"\b(?:position|role|job|vacancy|opening|career|careers|hiring|recruit\w*|talent|"
    r"candida\w*|\w*interview\w*|stelle|personalteam|position|bewerbung\w*|karriere|kandidat\w*|"
    r"vorstellungsgespräch|puesto|vacante|empleo|candidatura|proceso de selección|"
    r"selección|entrevista)\b",
    re.IGNORECASE,
)
# Looks like hiring mail from the sender and subject alone (the gate before any reading).
_HIRING_HEADER = re.compile(
    r"\b(?:applica\w*|applying|applied|interview\w*|candida\w*|position|role|job|jobs|"
    r"offer|recruit\w*|talent|hiring|careers?|vacancy|"
    r"bewerbung\w*|vorstellungsgespräch|gespräch|stelle|kandidat\w*|karriere|absage|"
    r"personal\w*|zusage|einladung|candidatura|solicitud|entrevista|puesto|oferta|vacante|"
    r"selección|empleo|rrhh|talento|postulación)\b",
    re.IGNORECASE,
)
_HIRING_SENDER = re.compile(
    r"^(?:jobs?|careers?|recruit\w*|talent\w*|hr|hiring|people|bewerbung\w*|karriere|"
    r"personal|empleo|rrhh|seleccion)[@.+-]",
    re.IGNORECASE,
)

_KINDS: list[tuple[str, list[re.Pattern[str]]]] = [
    (MailKind.OFFER, [re.compile(p, re.IGNORECASE) for p in _OFFER]),
    (MailKind.REJECTION, [re.compile(p, re.IGNORECASE) for p in _REJECTION]),
    (MailKind.INTERVIEW, [re.compile(p, re.IGNORECASE) for p in _INTERVIEW]),
]
_PROMISES = [re.compile(p, re.IGNORECASE) for p in _PROMISE]
_RECEIVEDS = [re.compile(p, re.IGNORECASE) for p in _RECEIVED]

# --- Dates ---------------------------------------------------------------------------------

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"
_DATES = [
    re.compile(
        r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\.? (?:of |de )?"
        + _MONTH
        + r"\b\.?(?:,? (?:de )?(?P<year>\d{4}))?",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b" + _MONTH + r"\.? (?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,? (?P<year>\d{4}))?",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})\b"),
    re.compile(r"\b(?P<day>\d{1,2})\.(?P<mon>\d{1,2})\.(?P<year>\d{2,4})?\b"),
    # Day first, as German and Spanish mail writes it.
    re.compile(r"\b(?P<day>\d{1,2})/(?P<mon>\d{1,2})/(?P<year>\d{4})\b"),
]
_WEEKDAYS_DE_ES = {
    "montag": "monday", "dienstag": "tuesday", "mittwoch": "wednesday",
    "donnerstag": "thursday", "freitag": "friday", "lunes": "monday", "martes": "tuesday",
    "miércoles": "wednesday", "miercoles": "wednesday", "jueves": "thursday",
    "viernes": "friday",
}  # fmt: skip
_NUMBERS_DE_ES = {
    "einer": "one", "einem": "one", "eine": "one", "ein": "one", "zwei": "two", "drei": "three",
    "vier": "four", "fünf": "five", "sechs": "six", "sieben": "seven", "acht": "eight",
    "zehn": "ten", "vierzehn": "fourteen", "una": "one", "un": "one", "dos": "two",
    "tres": "three", "cuatro": "four", "cinco": "five", "seis": "six", "siete": "seven",
    "diez": "ten", "quince": "fifteen",
}  # fmt: skip
# German and Spanish "when" phrases, put into the English the phrase parser reads.
_WHEN_TRANSLATIONS = [
    (r"^(?:innerhalb|im laufe) (?:von |der nächsten )?(\w+) (?:werktag|arbeitstag)\w*",
     r"within \1 business days"),
    (r"^(?:innerhalb|im laufe) (?:von |der nächsten )?(\w+) tag\w*", r"within \1 days"),
    (r"^(?:innerhalb|im laufe) (?:von |der nächsten )?(\w+) woche\w*", r"within \1 weeks"),
    (r"^in den nächsten (\w+) (?:werktag|arbeitstag)\w*", r"within \1 business days"),
    (r"^in den nächsten (\w+) tag\w*", r"within \1 days"),
    (r"^in den nächsten (\w+) woche\w*", r"within \1 weeks"),
    (r"^(?:bis )?ende (?:dieser|der) woche", "end of the week"),
    (r"^(?:bis )?ende (?:nächster|der nächsten) woche", "end of next week"),
    (r"^(?:im laufe der )?nächste[n]? woche", "next week"),
    (r"^anfang (?:des )?nächsten monats", "early next month"),
    (r"^(?:bis|spätestens)(?: zum| am)? (\w+)$", r"by \1"),
    (r"^en (?:las|los) próxim[oa]s (\w+) (?:días hábiles|días laborables)", r"within \1 business days"),
    (r"^en (?:las|los) próxim[oa]s (\w+) días", r"within \1 days"),
    (r"^en (?:las|los) próxim[oa]s (\w+) semanas", r"within \1 weeks"),
    (r"^(?:en un plazo de|dentro de) (\w+) (?:días hábiles|días laborables)", r"within \1 business days"),
    (r"^(?:en un plazo de|dentro de) (\w+) días", r"within \1 days"),
    (r"^(?:en un plazo de|dentro de) (\w+) semanas", r"within \1 weeks"),
    (r"^(?:a finales de|antes de que termine) (?:esta|la) semana", "end of the week"),
    (r"^esta semana", "this week"),
    (r"^(?:a finales de )?la próxima semana", "next week"),
    (r"^a principios del? (?:próximo|siguiente) mes", "early next month"),
    (r"^(?:antes del?|el próximo) (\w+)$", r"by \1"),
]  # fmt: skip


@dataclass(frozen=True)
class Email:
    """The parts of a message the import looks at (the body only once it passed the gate)."""

    sender: str  # the address, lower case
    sender_name: str
    subject: str
    sent_on: date
    message_key: str
    text: str = ""
    heardback_kind: str = ""

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2]


@dataclass(frozen=True)
class Reading:
    kind: str
    excerpt: str = ""
    event_on: date | None = None
    event_explained: str = ""
    status_link: str = ""


# --- Parsing messages ----------------------------------------------------------------------


def message_key(msg: Message) -> str:
    """A stable id for a message: its Message-ID, or its sender, date and subject."""
    raw = str(msg.get("Message-ID", "") or "").strip()
    if not raw:
        raw = "|".join(str(msg.get(h, "") or "") for h in ("From", "Date", "Subject"))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _header(msg: Message, name: str) -> str:
    """A header as text: raw 8-bit bytes read as UTF-8, RFC 2047 words decoded. Read from
    the raw value, so it costs the same on the standard library's cheap `compat32`
    messages (the gate parses every message's headers, and the typed header registry costs
    about a millisecond a message) as on typed ones."""
    wanted = name.lower()
    raw = next((str(v) for k, v in msg.raw_items() if k.lower() == wanted), "")
    if not raw:
        return ""
    if not raw.isascii():
        # compat32 keeps bytes it couldn't read as ASCII as surrogates: UTF-8 in practice.
        raw = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if "=?" in raw:
        # A malformed encoded word is read as it stands, not a failed import.
        with contextlib.suppress(Exception):
            raw = str(email.header.make_header(email.header.decode_header(raw)))
    return re.sub(r"\s+", " ", raw).strip()


def envelope(msg: Message, *, fallback_day: date) -> Email:
    """Sender, subject, date and key: what the gate decides on. Reads no body."""
    name, address = email.utils.parseaddr(_header(msg, "From"))
    try:
        sent = email.utils.parsedate_to_datetime(_header(msg, "Date"))
        sent_on = sent.date()
    except (TypeError, ValueError, IndexError):
        sent_on = fallback_day
    return Email(
        sender=address.strip().lower()[:254],
        sender_name=name.strip()[:200],
        subject=_header(msg, "Subject")[:300],
        sent_on=sent_on,
        message_key=message_key(msg),
        heardback_kind=_header(msg, "X-Heardback-Kind")[:40],
    )


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]
        if tag in ("br", "p", "div", "tr", "li", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts) + ("\n" + "\n".join(parser.links) if parser.links else "")


def body_text(msg: Message) -> str:
    """The readable text of a message: its text part, else its HTML part as text."""
    part: Message | None
    if isinstance(msg, EmailMessage):
        part = msg.get_body(preferencelist=("plain", "html"))
    else:
        part = next((p for p in msg.walk() if p.get_content_maintype() == "text"), None)
    if part is None:
        return ""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload[: MAX_TEXT * 4].decode(charset, "replace")
    except LookupError:
        text = payload[: MAX_TEXT * 4].decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text[:MAX_TEXT]


# --- The gate, the classifier, the matcher -------------------------------------------------

_LEGAL = re.compile(
    r"\b(?:gmbh|ag|se|kg|ug|inc|llc|ltd|limited|plc|corp|corporation|co|company|s\.?a\.?|"
    r"s\.?l\.?|s\.?l\.?u\.?|b\.?v\.?|n\.?v\.?|oy|ab|as|srl|spa|group|gruppe|grupo|the)\b\.?",
    re.IGNORECASE,
)
# Senders shared by many employers (applicant tracking systems, free mail, Heardback itself):
# their domain says nothing about which company wrote.
GENERIC_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
        "icloud.com", "gmx.de", "gmx.net", "web.de", "t-online.de", "proton.me",
        "protonmail.com", "greenhouse.io", "greenhouse-mail.io", "lever.co", "myworkday.com",
        "workday.com", "smartrecruiters.com", "personio.de", "personio.com", "recruitee.com",
        "teamtailor.com", "teamtailor-mail.com", "workable.com", "workablemail.com",
        "ashbyhq.com", "successfactors.com", "successfactors.eu", "icims.com", "jobvite.com",
        "bamboohr.com", "join.com", "softgarden.io", "linkedin.com", "indeed.com",
        "stepstone.de", "infojobs.net", "heardback.localhost",
    }
)  # fmt: skip
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "gob", "edu"}


def registrable(domain: str) -> str:
    """example.co.uk from mail.jobs.example.co.uk; good enough to compare two senders."""
    labels = [label for label in domain.lower().strip(".").split(".") if label]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _company_key(company: str) -> str:
    text = _LEGAL.sub(" ", company.lower())
    return re.sub(r"[^\w]+", " ", text).strip()


@dataclass(frozen=True)
class _Keys:
    domains: frozenset[str]
    company: re.Pattern[str] | None
    company_joined: str
    role: re.Pattern[str] | None


def _words(text: str) -> re.Pattern[str] | None:
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)") if text else None


@lru_cache(maxsize=4096)
def _keys(company: str, role: str, contact_email: str, link: str) -> _Keys:
    """What an application is recognised by, worked out once per application (an mbox of
    thousands of messages compares each with every tracked application)."""
    domains = set()
    if "@" in contact_email:
        domains.add(registrable(contact_email.rpartition("@")[2]))
    if link:
        try:
            host = urlsplit(link).hostname or ""
        except ValueError:
            host = ""
        if host:
            domains.add(registrable(host))
    key = _company_key(company)
    return _Keys(
        domains=frozenset(domains - GENERIC_DOMAINS),
        company=_words(key),
        company_joined=key.replace(" ", ""),
        role=_words(re.sub(r"\s+", " ", role.lower()).strip()),
    )


def _score(app: JobApplication, mail: Email, *, with_body: bool) -> int:
    keys = _keys(app.company, app.role, app.contact_email, app.link)
    score = 0
    domain = registrable(mail.domain)
    if domain and domain in keys.domains:
        score += 3
    headers = " ".join([mail.sender_name, mail.subject, domain.replace(".", " ")]).lower()
    body = mail.text[:3000].lower() if with_body else ""
    named = keys.company is not None and bool(
        keys.company.search(headers) or keys.company.search(body)
    )
    if named or (keys.company_joined and keys.company_joined == domain.split(".")[0]):
        score += 2
    if keys.role is not None and (keys.role.search(headers) or keys.role.search(body)):
        score += 1
    return score


def match(mail: Email, applications: Sequence[JobApplication], *, with_body: bool = True) -> (
    JobApplication | None
):  # fmt: skip
    """The tracked application this email is about: the sender's domain (3), the company
    (2) and the job title (1) count; 2 or more is a match, the best wins, and among equals
    an open one and then the most recent."""
    best: tuple[int, int, date, int] | None = None
    chosen = None
    for app in applications:
        score = _score(app, mail, with_body=with_body)
        if score < 2:
            continue
        rank = (score, 1 if app.is_open else 0, app.applied_on, app.pk or 0)
        if best is None or rank > best:
            best, chosen = rank, app
    return chosen


def looks_relevant(mail: Email, applications: Sequence[JobApplication]) -> bool:
    """Read this message at all? Its sender or domain matches a tracked application, or its
    sender and subject look like hiring mail. Decided on headers alone."""
    if mail.heardback_kind and not mail.heardback_kind.startswith(("seeker", "team", "system")):
        return True
    if match(mail, applications, with_body=False) is not None:
        return True
    local = mail.sender.partition("@")[0]
    return bool(_HIRING_HEADER.search(mail.subject) or _HIRING_SENDER.match(local + "@"))


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(stop, 0, start) for stop in (". ", "! ", "? ", "\n"))
    rights = [i for i in (text.find(stop, end) for stop in (". ", "! ", "? ", "\n")) if i >= 0]
    right = min(rights) + 1 if rights else len(text)
    return re.sub(r"\s+", " ", text[left + 1 : right]).strip()[:300]


def _normalised(text: str) -> str:
    """Curly quotes straight, and lines unwrapped: mail wraps sentences at 72 characters, so
    only a blank line (a paragraph) still ends one."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\xa0", " ")
    text = re.sub(r"[ \t]*\r?\n[ \t]*", "\n", text)
    text = re.sub(r"(?<!\n)\n(?!\n)", " ", text)
    return re.sub(r"[ \t]+", " ", text)


def classify(
    mail: Email, *, about_job: bool = False, country: str = "", subdivision: str = ""
) -> Reading:
    """What an email says. Offer, rejection, interview, promise, acknowledgement, or other.

    `about_job`: the email matched a tracked application, so it is about a job even if it
    never says "job" (an acknowledgement or a promise needs that; a credit-card
    "application" must not read as one)."""
    text = _normalised(f"{mail.subject}\n{mail.text}")
    about_job = about_job or _JOB_WORDS.search(text) is not None
    link = find_status_link(text)
    for kind, patterns in _KINDS:
        for pattern in patterns:
            found = pattern.search(text)
            if found is None:
                continue
            if kind == MailKind.INTERVIEW:
                day = find_date(text[found.start() :], after=mail.sent_on)
                return Reading(
                    kind, _sentence(text, found.start(), found.end()), day,
                    f"the date in the email: {day:%a} {day.day} {day:%b %Y}" if day else "",
                    link,
                )  # fmt: skip
            return Reading(kind, _sentence(text, found.start(), found.end()), status_link=link)
    promise = find_promise(text, sent_on=mail.sent_on, country=country, subdivision=subdivision)
    received = next((m for p in _RECEIVEDS if (m := p.search(text))), None)
    if received is not None and about_job:
        on, explained = promise[1:] if promise else (None, "")
        return Reading(
            MailKind.RECEIVED, _sentence(text, received.start(), received.end()), on, explained,
            link,
        )  # fmt: skip
    if promise is not None and about_job:
        return Reading(MailKind.PROMISE, promise[0], promise[1], promise[2], link)
    return Reading(MailKind.OTHER, status_link=link)


def find_status_link(text: str) -> str:
    """The first Heardback status-page link in the text, if any."""
    for found in re.finditer(r"https?://[^\s<>\"')\]]+", text):
        url = found.group(0).rstrip(".,;")
        if status_json_url(url) is not None and re.search(r"/s/[A-Za-z0-9_-]{16,}", url):
            return url[:500]
    return ""


def _when_in_english(when: str) -> str:
    """German and Spanish phrases first, then their numbers and weekdays (in that order: "un"
    is a word of "en un plazo de")."""
    when = re.sub(r"\s+", " ", when.lower().strip())
    for pattern, replacement in _WHEN_TRANSLATIONS:
        when, n = re.subn(pattern, replacement, when)
        if n:
            break
    for raw, plain in {**_WEEKDAYS_DE_ES, **_NUMBERS_DE_ES}.items():
        when = re.sub(rf"(?<!\w){raw}(?!\w)", plain, when)
    return when


def find_promise(
    text: str, *, sent_on: date, country: str = "", subdivision: str = ""
) -> tuple[str, date, str] | None:
    """(the sentence, the promised date, how it was read), counted from the email's date."""
    for pattern in _PROMISES:
        for found in pattern.finditer(text):
            when = found.group("when").strip()
            day = find_date(when, after=sent_on - timedelta(days=1))
            if day is not None:
                explained = f"the date in the email: {day:%a} {day.day} {day:%b %Y}"
                return _sentence(text, found.start(), found.end()), day, explained
            phrase = _when_in_english(when)
            for candidate in _shorter(phrase):
                try:
                    parsed = parse_promise(
                        candidate, interview_on=sent_on, country=country,
                        subdivision=subdivision, use_dateparser=False,
                    )  # fmt: skip
                except PromiseNotUnderstood:
                    continue
                if parsed.on < sent_on or parsed.on > sent_on + timedelta(days=120):
                    continue
                explained = parsed.explained.replace("the interview", "the email")
                return _sentence(text, found.start(), found.end()), parsed.on, explained
    return None


def _shorter(phrase: str) -> Iterable[str]:
    """The phrase, then with trailing words dropped ("by friday at the latest" → "by friday")."""
    words = phrase.split()
    for n in range(len(words), 0, -1):
        yield " ".join(words[:n])


def find_date(text: str, *, after: date) -> date | None:
    """The first calendar date (or weekday) stated in `text` on or after `after`, in any of
    our three languages; a date without a year is the next one after `after`."""
    found: list[tuple[int, date]] = []
    text = re.sub(r"\s+", " ", text[:2000])
    for pattern in _DATES:
        for m in pattern.finditer(text):
            day = _date_of(m.groupdict(), after=after)
            if day is not None:
                found.append((m.start(), day))
    if found:
        return min(found)[1]
    for name, number in [
        *WEEKDAYS.items(),
        *((k, WEEKDAYS[v]) for k, v in _WEEKDAYS_DE_ES.items()),
    ]:
        if len(name) > 3 and re.search(rf"(?<!\w){name}(?!\w)", text[:300], re.IGNORECASE):
            days_ahead = (number - after.weekday()) % 7 or 7
            return after + timedelta(days=days_ahead)
    return None


def _date_of(parts: dict[str, Any], *, after: date) -> date | None:
    try:
        day = int(parts["day"])
        month = MONTHS[parts["month"].lower()] if parts.get("month") else int(parts["mon"])
        year_raw = parts.get("year")
        if year_raw:
            year = int(year_raw) + (2000 if len(year_raw) == 2 else 0)
            return date(year, month, day)
        candidate = date(after.year, month, day)
        if candidate < after - timedelta(days=1):
            candidate = date(after.year + 1, month, day)
        return candidate
    except (ValueError, KeyError):
        return None


# --- Guessing a new application from unmatched hiring mail --------------------------------

_TEAM_WORDS = re.compile(
    r"\b(?:talent|acquisition|recruiting|recruitment|recruiter|careers?|jobs?|team|hr|"
    r"hiring|people|personal|personalabteilung|talento|departamento|bewerbermanagement|rrhh|selección|equipo|"
    r"de|der|die|das|the|at|via|greenhouse|lever|workday|personio|no-?reply|noreply)\b",
    re.IGNORECASE,
)
_ROLE_IN_SUBJECT = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:application|applying|interview|offer)(?: for| as| to| als)?(?: the| our)?[: ]+"
        r"(?P<role>[^|()\-–—:]+?)(?: position| role| job)?(?: at [^|]+)?$",
        r"\bbewerbung (?:als|für|auf)(?: die stelle)?[: ]*(?P<role>[^|()\-–—:]+?)"
        r"(?: bei [^|]+)?$",
        r"\b(?:bewerbung|einladung|absage)[: ]+(?P<role>[^|()\-–—:]+?)(?: bei [^|]+)?$",
        r"\b(?:candidatura|solicitud|entrevista|oferta)(?: para| a| como)?(?: el puesto de)?"
        r"[: ]+(?P<role>[^|()\-–—:]+?)(?: en [^|]+)?$",
    )
]


_COMPANY_IN_SUBJECT = re.compile(
    r"\b(?:at|bei|en|with|con) (?P<company>[A-ZÄÖÜÁÉÍÓÚÑ][\w&.' -]{1,60})$"
)


def guess_company(mail: Email) -> str:
    # The subject names the company more often than the sender does (a recruiter writes as
    # themself; a job board writes "… en Grupo Meridiano").
    found = _COMPANY_IN_SUBJECT.search(mail.subject)
    if found:
        return found.group("company").strip()[:200]
    name = mail.sender_name
    if " via " in name.lower():
        name = re.split(r"\bvia\b", name, flags=re.IGNORECASE)[0]
    name = re.sub(r"\s+", " ", _TEAM_WORDS.sub(" ", name)).strip(" -|,·")
    if name:
        return name[:200]
    domain = registrable(mail.domain)
    if domain and domain not in GENERIC_DOMAINS:
        return domain.split(".")[0].capitalize()
    return "Unknown company"


def guess_role(mail: Email) -> str:
    subject = re.sub(r"^(?:re|aw|fw|fwd|wg):\s*", "", mail.subject, flags=re.IGNORECASE)
    for pattern in _ROLE_IN_SUBJECT:
        found = pattern.search(subject)
        if found and found.group("role").strip():
            return found.group("role").strip(" .\"'“”«»")[:200]
    return "Role not stated"
