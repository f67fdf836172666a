"""The committed .mo catalogs say what their .po sources say (someone edited a .po and forgot
to compile it), and every entry has its Chinese."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
ENTRY_LINE = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?|msgctxt) (".*")$')


def read_po(path: Path) -> dict[str, list[str]]:
    """msgid -> its msgstr forms; enough of the format for the catalogs written here."""
    entries: dict[str, list[str]] = {}
    current: dict[str, str] = {}
    key = ""

    def flush() -> None:
        if current.get("msgid"):
            forms = [v for k, v in sorted(current.items()) if k.startswith("msgstr")]
            entries[current["msgid"]] = forms
        current.clear()

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line:
            flush()
        elif match := ENTRY_LINE.match(line):
            key = match.group(1)
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
    return entries


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_compiled_catalog_matches_its_source(domain: str) -> None:
    entries = read_po(LOCALE / f"{domain}.po")
    with (LOCALE / f"{domain}.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    assert entries
    for msgid, forms in entries.items():
        assert all(forms), f"no Chinese for {msgid!r}"
        if len(forms) == 1:
            assert catalog.gettext(msgid) == forms[0], msgid
        else:
            assert catalog.ngettext(msgid, msgid + "s", 2) == forms[0], msgid
