"""French citations for the book: "et" between authors, "et al.", parentheses.

sphinxcontrib-bibtex's author-year style and pybtex's plain bibliography style join names
with the English "and". The think tank publishes in French, so this local Sphinx extension
registers two plugins that differ from those styles only by their separators, and
`_config.yml` selects them (`bibtex_reference_style: author_year_fr`,
`bibtex_default_style: plain_fr`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pybtex.plugin
import sphinxcontrib.bibtex.plugin
from pybtex.richtext import Tag, Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.template import names, sentence
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

AND = " et "


def _french_person() -> PersonStyle:
    return PersonStyle(sep=", ", sep2=AND, last_sep=AND, other=Text(" ", Tag("em", "et al.")))


def _round_brackets() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep2=" ; ", sep="; ", last_sep=" ; ")


@dataclass
class FrenchAuthorYearStyle(AuthorYearReferenceStyle):
    """Author-year references, French separators: (LaLonde, 1986 ; Dehejia et Wahba, 1999)."""

    bracket_textual: BracketStyle = field(default_factory=_round_brackets)
    bracket_parenthetical: BracketStyle = field(default_factory=_round_brackets)
    bracket_author: BracketStyle = field(default_factory=_round_brackets)
    bracket_label: BracketStyle = field(default_factory=_round_brackets)
    bracket_year: BracketStyle = field(default_factory=_round_brackets)
    person: PersonStyle = field(default_factory=_french_person)


class FrenchPlainStyle(PlainStyle):
    """pybtex's plain bibliography, names joined with "et"."""

    def format_names(self, role, as_sentence=True):
        formatted = names(role, sep=", ", sep2=AND, last_sep=AND)
        return sentence[formatted] if as_sentence else formatted


sphinxcontrib.bibtex.plugin.register_plugin(
    "sphinxcontrib.bibtex.style.referencing", "author_year_fr", FrenchAuthorYearStyle
)
pybtex.plugin.register_plugin("pybtex.style.formatting", "plain_fr", FrenchPlainStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
