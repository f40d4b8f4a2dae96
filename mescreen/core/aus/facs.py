"""Parser for FACS action-unit code strings as the datasets write them.

The coding sheets mix conventions: `4+7+L10`, `R12A`, `AU1+2`, `12B+25`, `A1B+A2C`, `10A/B`,
`(R6 or R12)+R15`, `ref(7B)+43`, `T18+39`, `14+17+soft focus`, CK+'s `6_12_25`, and MMEW's
side-after-number `12L`, `4R`, `10RB`. Side letters (L, R, A for asymmetric, T/B for top/bottom,
U for unilateral) and intensity letters (A-E) are kept, not dropped. Before the number every
letter is a side; after it A-E are intensities (so `12B` is AU12 at intensity B) and only L, R
and U are sides, in either order with the intensity (`12LA`, `12AL`). `ref(...)` marks an AU the
coder noted but did not count as part of the movement, and `X or Y` marks uncertain
alternatives. Both are kept and flagged so each user decides. Terms are separated by `+`, or by
`_` or `,` between AUs (CK+ writes `6_12_25`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SIDES = "LRATBU"
_INTENSITY = r"[A-E](?:/[A-E])?"
_TOKEN = re.compile(
    r"^(?:AU)?(?P<side>[LRATBU](?:/[LR])?)?(?:AU)?(?P<au>\d{1,2})"
    rf"(?:(?P<intensity>{_INTENSITY})(?P<side_after>[LRU])?|(?P<side_first>[LRU])(?P<intensity_after>{_INTENSITY})?)?$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"(?<=[0-9A-Za-z])\s*[_,]\s*(?=(?:AU)?[LRATBU]?\d)", re.IGNORECASE)
_REF = re.compile(r"^ref\((?P<inner>[^()]*)\)$", re.IGNORECASE)


@dataclass(frozen=True)
class AUCode:
    """One coded action unit."""

    au: int
    side: str = ""  # "", "L", "R", "A" (asymmetric), "T", "B", "U"
    intensity: str = ""  # "", "A".."E" (the lower letter when a range like "A/B" is given)
    reference: bool = False  # written as ref(...): noted, not part of the movement
    uncertain: bool = False  # one of several "or" alternatives

    @property
    def name(self) -> str:
        return f"AU{self.au}"


@dataclass(frozen=True)
class ParsedCode:
    """A whole code string: the AUs it names and the parts that were not AUs."""

    codes: tuple[AUCode, ...]
    unparsed: tuple[str, ...]

    def aus(self, include_reference: bool = False, include_uncertain: bool = True) -> frozenset[int]:
        """AU numbers present; reference AUs are left out by default, "or" alternatives kept."""
        return frozenset(
            c.au
            for c in self.codes
            if (include_reference or not c.reference) and (include_uncertain or not c.uncertain)
        )

    def au_names(self, **kwargs: bool) -> list[str]:
        return [f"AU{a}" for a in sorted(self.aus(**kwargs))]


def parse_facs(text: str | float | None) -> ParsedCode:
    """Parse one FACS string; empty, '?' and NaN give an empty result rather than an error."""
    if text is None or (isinstance(text, float) and text != text):
        return ParsedCode((), ())
    codes: list[AUCode] = []
    unparsed: list[str] = []
    for term in _split_terms(str(text)):
        alternatives = [a.strip() for a in re.split(r"\s+or\s+", term, flags=re.IGNORECASE) if a.strip()]
        uncertain = len(alternatives) > 1
        for alt in alternatives:
            code = _parse_token(alt, uncertain)
            if code is None:
                unparsed.append(alt)
            else:
                codes.append(code)
    return ParsedCode(tuple(codes), tuple(unparsed))


def _split_terms(text: str) -> list[str]:
    """Split on '+' (and '_' or ',' between AUs) outside parentheses, then unwrap a group like
    '(R6 or R12)'."""
    text = _SEPARATORS.sub("+", text)
    terms, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == "+" and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
    terms.append("".join(current))
    out = []
    for term in (t.strip() for t in terms):
        if term.startswith("(") and term.endswith(")") and not _REF.match(term):
            term = term[1:-1].strip()
        if term:
            out.append(term)
    return out


def _parse_token(token: str, uncertain: bool) -> AUCode | None:
    reference = False
    ref = _REF.match(token.replace(" ", ""))
    if ref:
        reference, token = True, ref.group("inner")
    token = token.replace(" ", "")
    match = _TOKEN.match(token)
    if not match:
        return None
    before = (match.group("side") or "").upper()
    after = (match.group("side_after") or match.group("side_first") or "").upper()
    if before and after and before != after:
        return None  # two different sides ("L12R"): not a code we can read
    side = before or after
    if "/" in side:  # "A/L12": asymmetric, stronger on the left
        side = side.split("/")[-1]
    intensity = (match.group("intensity") or match.group("intensity_after") or "").upper()[:1]
    return AUCode(int(match.group("au")), side, intensity, reference, uncertain)


def au_vector(code: str | float | None, au_names: list[str], **kwargs: bool) -> list[int]:
    """Binary vector over `au_names` (e.g. ["AU1", "AU2", ...]) for one code string."""
    present = parse_facs(code).aus(**kwargs)
    return [1 if int(name[2:]) in present else 0 for name in au_names]
