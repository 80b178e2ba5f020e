"""Name evidence for UK records: junk values, nicknames and phonetic codes.

The nickname table groups the familiar forms of common English given names under one
canonical name (William, Bill, Billy, Will, Liam -> WILLIAM), so that "Bill Smith" and
"William Smith" compare as the same given name. Phonetic codes use Metaphone (Philips 1990,
"Hanging on the Metaphone", Computer Language 7(12):39-43), which groups British spelling
variants (Smith/Smyth, Catherine/Kathryn, Stephenson/Stevenson). The name lookup is
computed once per distinct name (thousands, not millions) and joined back in the engine.
"""

from __future__ import annotations

import re

import jellyfish
import pyarrow as pa

# Canonical given name -> familiar forms. Written for this project from common usage.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "WILLIAM": ("BILL", "BILLY", "WILL", "WILLIE", "WILLY", "LIAM", "WILF"),
    "ROBERT": ("BOB", "BOBBY", "ROB", "ROBBIE", "BERT", "ROBIN"),
    "RICHARD": ("DICK", "RICK", "RICKY", "RICH", "RICHIE", "DICKIE"),
    "JAMES": ("JIM", "JIMMY", "JAMIE", "JIMMIE", "JAS"),
    "JOHN": ("JACK", "JOHNNY", "JOHNNIE", "JON"),
    "MARGARET": ("PEGGY", "MAGGIE", "MEG", "MAG", "MADGE", "MAISIE", "MARGIE", "RITA", "PEG"),
    "ELIZABETH": (
        "LIZ",
        "LIZZIE",
        "BETH",
        "BETTY",
        "BESS",
        "BESSIE",
        "ELSIE",
        "LIBBY",
        "ELIZA",
        "LISA",
        "LIZZY",
        "BETSY",
    ),
    "CATHERINE": (
        "KATE",
        "KATIE",
        "CATH",
        "CATHY",
        "KAY",
        "KITTY",
        "KATHY",
        "KATHERINE",
        "KATHRYN",
        "CAT",
    ),
    "MARY": ("MOLLY", "POLLY", "MAMIE", "MAE", "MAY"),
    "EDWARD": ("ED", "EDDIE", "TED", "TEDDY", "NED", "EDDY"),
    "THOMAS": ("TOM", "TOMMY", "THOM"),
    "ANTHONY": ("TONY", "ANT", "ANTON"),
    "CHARLES": ("CHARLIE", "CHAS", "CHUCK", "CHARLEY"),
    "MICHAEL": ("MIKE", "MICK", "MICKY", "MIKEY", "MICKEY"),
    "CHRISTOPHER": ("CHRIS", "KIT", "TOPHER"),
    "DANIEL": ("DAN", "DANNY"),
    "DAVID": ("DAVE", "DAVEY", "DAI", "DAVY"),
    "JOSEPH": ("JOE", "JOEY", "JOS"),
    "SAMUEL": ("SAM", "SAMMY"),
    "BENJAMIN": ("BEN", "BENNY", "BENJI"),
    "ALEXANDER": ("ALEX", "ALEC", "SANDY", "XANDER", "ALI"),
    "ALEXANDRA": ("ALEXA", "LEXI", "SANDRA", "ALLIE"),
    "ANDREW": ("ANDY", "DREW"),
    "NICHOLAS": ("NICK", "NICKY", "NICO"),
    "MATTHEW": ("MATT", "MATTY"),
    "PETER": ("PETE",),
    "PATRICK": ("PAT", "PADDY"),
    "PATRICIA": ("PAT", "TRISH", "PATSY", "PATTY", "TRICIA"),
    "FREDERICK": ("FRED", "FREDDIE", "FREDDY", "FRITZ"),
    "HENRY": ("HARRY", "HAL", "HANK"),
    "GEORGE": ("GEORDIE", "GEORGIE"),
    "ALBERT": ("AL", "ALBIE", "BERTIE"),
    "ARTHUR": ("ART", "ARTIE"),
    "FRANCIS": ("FRANK", "FRANKIE", "FRAN"),
    "GERALD": ("GERRY", "JERRY", "GED"),
    "LEONARD": ("LEN", "LENNY", "LEO"),
    "RONALD": ("RON", "RONNIE"),
    "DONALD": ("DON", "DONNIE"),
    "KENNETH": ("KEN", "KENNY"),
    "STEPHEN": ("STEVE", "STEVIE", "STEVEN"),
    "TIMOTHY": ("TIM", "TIMMY"),
    "PHILIP": ("PHIL", "PIP", "PHILLIP"),
    "GREGORY": ("GREG",),
    "JONATHAN": ("JON", "JONNY", "JONTY"),
    "NATHANIEL": ("NAT", "NATE", "NATHAN"),
    "RAYMOND": ("RAY",),
    "REGINALD": ("REG", "REGGIE"),
    "TERENCE": ("TERRY", "TEL"),
    "VINCENT": ("VINCE", "VINNY"),
    "DOUGLAS": ("DOUG", "DOUGIE"),
    "GORDON": ("GORDIE",),
    "HAROLD": ("HARRY", "HAL"),
    "STANLEY": ("STAN",),
    "SIDNEY": ("SID",),
    "WALTER": ("WALLY", "WALT"),
    "ERNEST": ("ERNIE",),
    "BERNARD": ("BERNIE",),
    "ANNE": ("ANN", "ANNIE", "NAN", "NANCY", "ANNA"),
    "SUSAN": ("SUE", "SUSIE", "SUZY", "SUZANNE"),
    "DEBORAH": ("DEBBIE", "DEBS", "DEBRA", "DEB"),
    "JENNIFER": ("JENNY", "JEN", "JENNI"),
    "REBECCA": ("BECKY", "BECCA", "BEX"),
    "VICTORIA": ("VICKY", "VICKI", "TORI"),
    "CHRISTINE": ("CHRIS", "CHRISSIE", "TINA", "CHRISTINA", "KIRSTY", "KIRSTEN"),
    "JACQUELINE": ("JACKIE", "JACQUI"),
    "DOROTHY": ("DOT", "DOTTIE", "DOLLY", "DORA"),
    "HELEN": ("NELL", "NELLIE", "ELLEN", "ELLIE", "HELENA"),
    "ELEANOR": ("ELLIE", "NORA", "ELLA", "NELL"),
    "FRANCES": ("FRAN", "FRANNIE", "FRANKIE"),
    "JOSEPHINE": ("JO", "JOSIE", "JOSEY"),
    "JOANNE": ("JO", "JOANNA", "JO-ANNE"),
    "SARAH": ("SALLY", "SADIE", "SARA"),
    "ABIGAIL": ("ABBY", "ABBIE", "GAIL"),
    "AMANDA": ("MANDY", "MANDA"),
    "SAMANTHA": ("SAM", "SAMMY", "SAMMIE"),
    "CHARLOTTE": ("CHARLIE", "LOTTIE", "LOTTE"),
    "OLIVIA": ("LIVVY", "LIV", "OLLIE"),
    "OLIVER": ("OLLIE", "OLLY"),
    "ISABELLA": ("BELLA", "IZZY", "ISABEL", "ISOBEL", "IZZIE"),
    "GWENDOLINE": ("GWEN", "WENDY"),
    "WINIFRED": ("WINNIE", "FREDA"),
    "FLORENCE": ("FLO", "FLOSSIE", "FLORRIE"),
    "LOUISE": ("LOU", "LOUISA", "LULU"),
    "THERESA": ("TERRI", "TESS", "TESSA", "TERESA"),
    "VALERIE": ("VAL",),
    "BARBARA": ("BABS", "BARB", "BARBIE"),
    "GILLIAN": ("GILL", "JILL", "GILLY"),
    "MATILDA": ("TILLY", "MATTIE", "MAUD"),
    "EVELYN": ("EVIE", "EVE"),
    "HANNAH": ("HANNIE",),
    "LAWRENCE": ("LAURIE", "LARRY", "LAURENCE"),
    "ZACHARY": ("ZACH", "ZAK", "ZAC"),
    "PAMELA": ("PAM", "PAMMY"),
    "NICOLA": ("NICKY", "NIKKI", "NIC"),
    "SANDRA": ("SANDY", "SANDIE"),
    "JOSHUA": ("JOSH",),
    "JACOB": ("JAKE",),
    "DOMINIC": ("DOM",),
    "SEBASTIAN": ("SEB",),
    "THEODORE": ("THEO", "TEDDY"),
    "CAROLINE": ("CAROL", "CARRIE", "CARO"),
    "JESSICA": ("JESS", "JESSIE"),
    "LEONARDO": ("LEO",),
    "MAXIMILIAN": ("MAX",),
    "MAXWELL": ("MAX",),
    "EMILY": ("EM", "EMMY"),
    "EMMA": ("EM", "EMMY"),
    "LUCY": ("LU",),
    "KATHLEEN": ("KATH", "KATHY", "KAY"),
    "JULIA": ("JULES", "JULIE"),
    "ROSEMARY": ("ROSE", "ROSIE"),
    "ROSALIND": ("ROS", "ROSIE"),
}


def _build_canonical() -> dict[str, tuple[str, ...]]:
    """Each name -> every full name it can stand for (PAT -> PATRICIA, PATRICK)."""
    canon: dict[str, set[str]] = {}
    for full, forms in NICKNAMES.items():
        canon.setdefault(full, set()).add(full)
        for f in forms:
            canon.setdefault(f, set()).add(full)
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
