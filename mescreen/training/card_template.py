"""Model cards written from a template: the prose lives in `card_templates/<name>.md`, the figures
come from the run that built the model.

Why a template: a card's wording is documentation and is edited as text; the training code only
supplies the measured values. Syntax (kept deliberately small):

- `$name` / `${name}`: a value (string.Template; `$$` is a dollar sign);
- a block between `<!-- if name -->` and `<!-- end name -->` lines is kept only when the value
  `name` is non-empty, so optional sections (an evaluation that was not run) leave no heading.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).resolve().parent / "card_templates"
_BLOCK = re.compile(r"^<!-- if (\w+) -->\n(.*?)^<!-- end \1 -->\n", re.M | re.S)


def render(template: str, values: Mapping[str, str]) -> str:
    """`template` with its conditional blocks resolved and every `$name` replaced; a name the
    template uses but `values` lacks is a KeyError (a card never prints a placeholder)."""
    kept = _BLOCK.sub(lambda m: m.group(2) if values.get(m.group(1)) else "", template)
    return Template(kept).substitute(values)


def render_card(name: str, values: Mapping[str, str]) -> str:
    """The card `card_templates/<name>.md` filled with `values`."""
    return render((TEMPLATES / f"{name}.md").read_text(encoding="utf-8"), values)
