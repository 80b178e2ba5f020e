"""Making Data Count variation and assurance icons, drawn here as small SVGs in the style of
NHS England's *Making Data Count* guidance (2019): a circle coloured by meaning (grey common
cause, blue improvement, orange concern, purple neutral special cause), a letter for the
direction (H high, L low) and, for assurance, P pass, F fail or ? hit and miss with the
target drawn as a dashed line. Our own drawings; no NHS artwork is copied.
"""

from __future__ import annotations

from markupsafe import Markup, escape

GREY, BLUE, ORANGE, PURPLE = "#7f7f7f", "#00b0f0", "#e46c0a", "#490092"

VARIATION = {
    "common_cause": (GREY, "", "Common cause variation"),
    "improvement_high": (BLUE, "H", "Special cause improvement (high)"),
    "improvement_low": (BLUE, "L", "Special cause improvement (low)"),
    "concern_high": (ORANGE, "H", "Special cause concern (high)"),
    "concern_low": (ORANGE, "L", "Special cause concern (low)"),
    "neutral_high": (PURPLE, "H", "Special cause, neither improvement nor concern (high)"),
    "neutral_low": (PURPLE, "L", "Special cause, neither improvement nor concern (low)"),
}
ASSURANCE = {
    "consistent_pass": (BLUE, "P", "Consistently passes the target"),
    "consistent_fail": (ORANGE, "F", "Consistently fails the target"),
    "inconsistent": (GREY, "?", "Hit and miss: the target is within the process limits"),
}
# Which icons to look at first in a summary table.
SEVERITY = {
    "concern_high": 0,
    "concern_low": 0,
    "neutral_high": 1,
    "neutral_low": 1,
    "improvement_high": 2,
    "improvement_low": 2,
    "common_cause": 3,
}


def _svg(colour: str, letter: str, title: str, kind: str, line: str = "") -> Markup:
    dots = ""
    if kind == "variation":
        # the run of points that gives the variation icon its look
        ys = (
            (30, 26, 31, 27, 29)
            if not letter
            else ((31, 29, 26, 22, 18) if letter == "H" else (18, 22, 26, 29, 31))
        )
        dots = "".join(
            f'<circle cx="{12 + 6 * i}" cy="{y}" r="2.2" fill="{colour if letter and i >= 3 else GREY}"/>'
            for i, y in enumerate(ys)
        )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" role="img" '
        f'aria-label="{escape(title)}" class="cm-mdc-icon" data-icon="{escape(kind)}">'
        f"<title>{escape(title)}</title>"
        f'<circle cx="24" cy="24" r="21" fill="#fff" stroke="{colour}" stroke-width="4"/>'
        f"{line}{dots}"
        f'<text x="24" y="{20 if kind == "variation" else 31}" text-anchor="middle" '
        f'font-family="Arial, sans-serif" font-size="{14 if kind == "variation" else 20}" '
        f'font-weight="700" fill="{colour}">{escape(letter)}</text></svg>'
    )


def variation_icon(code) -> Markup:
    colour, letter, title = VARIATION.get(str(code), (GREY, "", "No variation icon"))
    return _svg(colour, letter, title, "variation")


def assurance_icon(code) -> Markup | None:
    if str(code) not in ASSURANCE:
        return None
    colour, letter, title = ASSURANCE[str(code)]
    line = f'<line x1="8" y1="38" x2="40" y2="38" stroke="{colour}" stroke-dasharray="3 2"/>'
    return _svg(colour, letter, title, "assurance", line)


def describe(variation, assurance=None) -> str:
    text = VARIATION.get(str(variation), (None, None, "no variation icon"))[2]
    if str(assurance) in ASSURANCE:
        text += "; " + ASSURANCE[str(assurance)][2].lower()
    return text
