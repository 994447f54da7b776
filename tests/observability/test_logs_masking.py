"""The PII masking patterns, run through RE2 the way OTTL's replace_pattern runs them (Go ReplaceAllString)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import re2  # type: ignore[import-untyped]

from nusantara_fleet.model.observability import traces

EXPAND = re.compile(r"\$\{(\d+)\}")


def replace_pattern(value: str, pattern: str, replacement: str) -> str:
    """Go's ReplaceAllString: every non-overlapping match, `${n}` expanded, an unmatched group empty."""
    template = replacement.replace("$$", "$")  # what the collector's config expansion leaves
    compiled = re2.compile(pattern)

    def expand(match: Any) -> str:
        return EXPAND.sub(lambda ref: match.group(int(ref.group(1))) or "", template)

    return str(compiled.sub(expand, value))


def mask_name(value: str) -> str:
    first = replace_pattern(value, traces.FIRST_WORD, traces.FIRST_WORD_REPLACEMENT)
    return replace_pattern(first, traces.OTHER_WORDS, traces.OTHER_WORDS_REPLACEMENT)


def mask_email(value: str) -> str:
    return replace_pattern(value, traces.EMAIL_LOCAL, traces.EMAIL_REPLACEMENT)


NAMES = [
    ("Michael Anderson Hussein", "Mich*** And*** Hus***"),
    ("Nurhayati", "Nurh***"),
    ("Sukarno", "Suka***"),
    ("Ségolène Royal", "Ségo*** Roy***"),
    ("Ñoño", "Ñoño***"),
    ("Siti Nurbaya", "Siti*** Nur***"),
    ("Budi Al Ghazali", "Budi*** Al*** Gha***"),
    ("Ana", "Ana***"),
]
EMAILS = [
    ("myemail@iniemailcontoh.com", "mye***@iniemailcontoh.com"),
    ("nurhayati@contoh.co.id", "nur***@contoh.co.id"),
    ("ab@x.id", "ab***@x.id"),
    ("josé.ñúñez@correo.es", "jos***@correo.es"),
    ("budi.santoso+promo@mail.com", "bud***@mail.com"),
    ("ségolène@exemple.fr", "ség***@exemple.fr"),
]


@pytest.mark.parametrize(("raw", "masked"), NAMES)
def test_full_names_masked_as_the_design(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(("raw", "masked"), EMAILS)
def test_emails_masked_as_the_design(raw: str, masked: str) -> None:
    assert mask_email(raw) == masked


def test_emulation_expands_groups_and_catches_a_wrong_rule() -> None:
    assert replace_pattern("ab", "(a)(b)", "$${2}$${1}") == "ba"
    assert replace_pattern("Michael Anderson", "^([^ ]{1,3})[^ ]*", "$${1}***") != "Mich*** And***"
