"""The name a candidate is greeted by.

Greeting someone with the first word of their full name goes wrong for anyone who writes a
title first ("Hola, Dr.:"), writes their family name first with a comma ("Lovelace, Ada"),
or simply goes by another name. So the apply form asks for the name to greet them by,
prefilled with `guess_greeting_name` (the same rules run in the form's script, from the
`data-titles` list this module provides) and editable; the candidate can change it on their
status page. Every greeting (emails, the status page, previews, the close-out's SQL) uses
the stored name.
"""

from __future__ import annotations

# Titles and forms of address that come before a name and are never a first name, in the
# languages we write in (compared without dots, in lower case). Initials are not here: "J.
# Robert Oppenheimer" is greeted as "J.", which he can change.
TITLES = frozenset(
    {
        # English
        "dr", "prof", "professor", "mr", "mrs", "ms", "mx", "miss", "sir", "dame", "rev",
        "revd", "hon", "capt", "col", "gen", "lt", "sgt",
        # German
        "herr", "frau", "dipl", "dipl-ing", "ing", "mag", "dr-ing", "drs", "dres", "univ-prof",
        # Spanish
        "sr", "sra", "srta", "sres", "doña", "dña", "lic", "licdo", "licda", "ldo", "lda", "dra",
        # French
        "mme", "mlle", "pr",
    }
)  # fmt: skip
# Words that are titles only when written with a dot: without one they are names people
# have ("Don Draper", "Phil Collins", "Fr" never, but "M. Dupont" and "Me Lin" both exist).
DOTTED_TITLES = frozenset(
    {"don", "dn", "fr", "m", "me", "med", "rer", "nat", "phil", "jur", "habil"}
)

MAX_LENGTH = 100


def _bare(word: str) -> str:
    return word.strip(".,").replace(".", "").lower()


def is_title(word: str) -> bool:
    bare = _bare(word)
    return bare in TITLES or (word.rstrip(",").endswith(".") and bare in DOTTED_TITLES)


def guess_greeting_name(full_name: str) -> str:
    """The sensible guess for how to greet `full_name`: the first word that is not a title.

    "Dr. Ana María López" → "Ana"; "Prof. Dr. Jörg Müller" → "Jörg"; "Lovelace, Ada" →
    "Ada"; a name that is only titles stays whole ("Dr. Who" → "Who", "Dr." → "Dr.").
    """
    name = " ".join(full_name.split())
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        if family and given and not all(is_title(w) for w in given.split()):
            name = f"{given} {family}"
    words = name.split()
    for word in words:
        if not is_title(word):
            return word[:MAX_LENGTH]
    return name[:MAX_LENGTH]


def greeting_of(candidate: object) -> str:
    """The stored greeting name, or the guess for a candidate stored without one."""
    stored = str(getattr(candidate, "greeting_name", "") or "")
    return stored or guess_greeting_name(str(getattr(candidate, "name", "") or ""))
