"""Name evidence for UK records: junk values, nicknames and phonetic codes.

The nickname table is a published one (the ``nicknames`` package's hand-curated list of
English names and nicknames): each name maps to every full name it can stand for, so that
"Bill Smith" and "William Smith" compare as the same given name. Phonetic codes use Metaphone (Philips 1990,
"Hanging on the Metaphone", Computer Language 7(12):39-43), which groups British spelling
variants (Smith/Smyth, Catherine/Kathryn, Stephenson/Stevenson). The name lookup is
computed once per distinct name (thousands, not millions) and joined back in the engine.
"""

from __future__ import annotations

import csv
import re
from importlib import resources

import jellyfish
import pyarrow as pa


def _build_canonical() -> dict[str, tuple[str, ...]]:
    """Each name -> every full name it can stand for (PAT -> PATRICIA, PATRICK), from the
    published nickname list of the ``nicknames`` package (Northern et al., "A hand-curated
    dataset of English names and their nicknames", Old Dominion University, from genealogy
    sources; about 2,700 name-nickname pairs). A full name also stands for itself."""
    canon: dict[str, set[str]] = {}
    path = resources.files("nicknames") / "names.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            full, nick = row["name1"].upper(), row["name2"].upper()
            canon.setdefault(full, set()).add(full)
            canon.setdefault(nick, set()).add(full)
    return {k: tuple(sorted(v)) for k, v in canon.items()}


CANONICAL: dict[str, tuple[str, ...]] = _build_canonical()

# Values that stand for "no name" in NHS extracts (matched after upper-casing and trimming).
JUNK_NAMES = frozenset(
    {
        "UNKNOWN",
        "UNK",
        "NOT KNOWN",
        "NOTKNOWN",
        "NK",
        "N/K",
        "NONE",
        "NULL",
        "NA",
        "N/A",
        "TEST",
        "XXX",
        "XX",
        "X",
        "ZZZ",
        "ZZ",
        "BABY",
        "INFANT",
        "NEWBORN",
        "PATIENT",
        "ANONYMOUS",
        "ANON",
        "UNNAMED",
        "NO NAME",
        "NONAME",
        "DECEASED",
        "DUMMY",
        "?",
        "-",
        ".",
    }
)
# Prefixes meaning the name is a placeholder for a newborn ("BABY OF SMITH", "TWIN 1 OF").
JUNK_PREFIXES = ("BABY OF", "BABY ", "INFANT OF", "TWIN 1", "TWIN 2", "TWIN OF", "UNKNOWN ")

_NON_LETTERS = re.compile(r"[^A-Z' -]")


def clean_name(value: str | None) -> str | None:
    """Upper-case, trimmed name with punctuation removed; None for junk placeholders."""
    if value is None:
        return None
    v = " ".join(str(value).upper().replace(".", " ").split())
    if not v or v in JUNK_NAMES or v.startswith(JUNK_PREFIXES):
        return None
    v = _NON_LETTERS.sub("", v).strip(" -'")
    if len(v) < 1 or v in JUNK_NAMES:
        return None
    return v


def canonical_names(name: str | None) -> list[str] | None:
    """Every full name the first word of a given name can stand for (BILL -> [WILLIAM],
    PAT -> [PATRICIA, PATRICK]); a name not in the table stands for itself."""
    if name is None:
        return None
    first = name.split(" ")[0]
    return list(CANONICAL.get(first, (first,)))


def canonical_given(name: str | None) -> str | None:
    """One canonical form of a given name (BILL -> WILLIAM), for blocking."""
    names = canonical_names(name)
    return names[0] if names else None


def phonetic(name: str | None) -> str | None:
    """Metaphone code of the first word of a name (letters only)."""
    if not name:
        return None
    first = re.sub(r"[^A-Z]", "", name.split(" ")[0])
    return jellyfish.metaphone(first) if first else None


def name_lookup(raw_names: list[str | None]) -> pa.Table:
    """A lookup from each distinct raw name to its cleaned, canonical and phonetic forms.

    Columns: ``raw`` (as held), ``clean`` (None for junk), ``canon`` (one nickname-resolved
    first word), ``canons`` (all of them), ``phon`` (Metaphone). Joined back to records on
    ``raw`` in the engine.
    """
    raw, clean, canon, canons, phon = [], [], [], [], []
    for r in sorted({n for n in raw_names if n is not None}):
        c = clean_name(r)
        raw.append(r)
        clean.append(c)
        all_names = canonical_names(c)
        canons.append(all_names)
        canon.append(all_names[0] if all_names else None)
        phon.append(phonetic(c))
    return pa.table(
        {
            "raw": pa.array(raw, pa.string()),
            "clean": pa.array(clean, pa.string()),
            "canon": pa.array(canon, pa.string()),
            "canons": pa.array(canons, pa.list_(pa.string())),
            "phon": pa.array(phon, pa.string()),
        }
    )
