"""The thank-you note (step 2 of the seed) and the follow-up drafts (step 3).

A draft is written from the seeker's profile and what they captured at the interview, and
the checker tells them which of the six parts their *edited* note still has. The checker is
deliberately forgiving: it looks for the idea, not for our wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .models import FollowUp, Interview, JobApplication, SeekerProfile
from .rights import LegalAnswer, follow_up_sentence

PARTS: list[tuple[str, str]] = [
    ("thanks", "Thanks for their time"),
    ("interest", "Your interest, restated"),
    ("qualifications", "Your key qualifications, in brief"),
    ("remark", "Something they said that stayed with you"),
    ("looking_forward", "Looking forward to hearing from them"),
    ("contact", "Your contact details"),
]

_STOP = {
    "about", "after", "again", "their", "there", "these", "those", "which", "would", "could",
    "should", "that", "this", "with", "from", "have", "your", "they", "them", "what", "when",
    "were", "will", "into", "just", "really", "very", "being", "said",
}  # fmt: skip


@dataclass(frozen=True)
class PartCheck:
    key: str
    label: str
    present: bool


def _first_name(names: str) -> str:
    first = re.split(r"[,;&/]| and ", names.strip())[0].strip()
    return first.split()[0] if first else ""


def _lower_first(text: str) -> str:
    """ "Ten years of Python" reads as "ten years of Python" mid-sentence; "AWS" stays."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _remark_clause(remark: str) -> str:
    return _lower_first(remark.strip().rstrip(".!"))


def contact_lines(profile: SeekerProfile) -> list[str]:
    lines = [profile.full_name, profile.email]
    if profile.phone:
        lines.append(profile.phone)
    if profile.links:
        lines.append(profile.links)
    return lines


def subject_for(application: JobApplication) -> str:
    return f"Thank you: {application.role} interview"


def draft_thank_you(
    *, profile: SeekerProfile, application: JobApplication, interview: Interview
) -> str:
    greeting = _first_name(interview.interviewers) or _first_name(application.contact_name)
    quals = [_lower_first(q) for q in profile.qualification_list]
    qual_text = (
        ", ".join(quals[:-1]) + (" and " if len(quals) > 1 else "") + quals[-1] if quals else ""
    )
    paragraphs = [
        f"Dear {greeting}," if greeting else "Hello,",
        f"Thank you for taking the time to meet with me about the {application.role} role "
        f"at {application.company}.",
        f"Our conversation made me even more interested in joining {application.company}.",
    ]
    if qual_text:
        paragraphs.append(f"In brief, I would bring {qual_text}.")
    else:
        paragraphs.append("In brief, I would bring [two or three key qualifications].")
    remark = _remark_clause(interview.interesting_remark)
    if remark:
        paragraphs.append(f"I keep thinking about something you said: {remark}.")
    else:
        paragraphs.append("I keep thinking about something you said: [something they said].")
    paragraphs.append("I look forward to hearing from you.")
    signature = "Best regards,\n" + "\n".join(contact_lines(profile))
    return "\n\n".join(paragraphs) + "\n\n" + signature + "\n"


def _significant_words(text: str) -> set[str]:
    return {
        w
        for w in re.findall(r"[a-z0-9][a-z0-9'+#.-]*[a-z0-9+#]", text.lower())
        if len(w) >= 4 and w not in _STOP
    }


def _mentions(text: str, phrase: str, share: float) -> bool:
    words = _significant_words(phrase)
    if not words:
        return False
    found = _significant_words(text)
    return len(words & found) >= max(1, round(len(words) * share))


def check(*, text: str, profile: SeekerProfile, interview: Interview) -> list[PartCheck]:
    """Which of the six parts the note has. Placeholders in [brackets] don't count."""
    body = re.sub(r"\[[^\]]*\]", " ", text)
    low = body.lower()
    present = {
        "thanks": bool(re.search(r"\bthank(?:s|ful| you)?\b|\bgrateful\b", low)),
        "interest": bool(
            re.search(
                r"\binterest(?:ed|ing me)?\b|\bexcit(?:ed|ing)\b|\beager\b|\bkeen\b|"
                r"\benthusias\w*|\bwould love\b|\blove to\b",
                low,
            )
        ),
        "qualifications": any(_mentions(body, q, 0.5) for q in profile.qualification_list)
        or bool(re.search(r"\bmy (?:experience|background|skills) (?:in|with)\b", low)),
        "remark": _mentions(body, interview.interesting_remark, 0.5)
        if interview.interesting_remark.strip()
        else bool(re.search(r"\byou (?:said|mentioned|described|explained)\b[^.\n]{12,}", low)),
        "looking_forward": bool(
            re.search(r"\blook(?:ing)? forward\b|\bhear(?:ing)? (?:back )?from you\b", low)
        ),
        "contact": (profile.email.lower() in low if profile.email else False)
        or (bool(profile.phone) and _digits(profile.phone) in _digits(body)),
    }
    return [PartCheck(key, label, present[key]) for key, label in PARTS]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text) or "\x00"


def mailto(*, to: str, subject: str, body: str) -> str:
    from urllib.parse import quote

    return f"mailto:{quote(to, safe='@')}?subject={quote(subject)}&body={quote(body)}"


def draft_follow_up(
    *,
    profile: SeekerProfile,
    application: JobApplication,
    number: int,
    today: date,
    legal: LegalAnswer | None = None,
) -> str:
    """One or two sentences: still interested, has a decision been made. Never cynical.
    Past a legal answer date (`legal`), one more sentence says so, as a plain fact."""
    name = _first_name(application.contact_name)
    hello = f"Hi {name}," if name else "Hello,"
    if number == 1:
        body = (
            f"I wanted to say I'm still very interested in the {application.role} role at "
            f"{application.company}. Has a decision been made, or is there anything else "
            "I can send you?"
        )
    else:
        body = (
            f"Just checking in once more about the {application.role} role: I'm still "
            "interested, and I'd be glad to hear where things stand whenever you're able."
        )
    if legal is not None:
        body += " " + follow_up_sentence(legal)
    return f"{hello}\n\n{body}\n\nThank you,\n{profile.full_name}\n"


def follow_up_subject(application: JobApplication, follow_up: FollowUp) -> str:
    return f"Following up: {application.role}"
