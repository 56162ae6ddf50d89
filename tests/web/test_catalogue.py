"""Every message a user can see is in the Chinese catalogue.

Extracts with Babel, as babel.cfg says (N_/_ calls, templates, and the messages of domain
errors), and fails on any msgid missing from zh_Hans or from messages.pot, or translated
with other placeholders than the English.
"""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "src" / "motormall" / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _extracted() -> dict[str, str]:
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=_keywords(options_map)
    ):
        msgid = message[0] if isinstance(message, tuple) else message  # plurals: the singular
        if msgid:
            found.setdefault(msgid, filename)
    return found


def _keywords(options_map) -> dict:
    from babel.messages.extract import DEFAULT_KEYWORDS
    from babel.messages.frontend import parse_keywords

    keywords = dict(DEFAULT_KEYWORDS)
    for options in options_map.values():
        given = options.get("keywords")
        if given:
            keywords.update(given if isinstance(given, dict) else parse_keywords(given.split()))
    return keywords


def _forms(string) -> tuple:
    return string if isinstance(string, tuple) else (string,)


def test_every_user_visible_message_is_translated_to_chinese():
    with (LOCALE / "zh_Hans" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        po = read_po(fh, locale="zh_Hans")
    with (LOCALE / "messages.pot").open("rb") as fh:
        pot = read_po(fh)
    found = _extracted()
    assert len(found) > 300  # the extraction really ran over the code and the templates
    untranslated = sorted(
        f"{where}: {msgid!r}"
        for msgid, where in found.items()
        if msgid not in po or not all(_forms(po[msgid].string))
    )
    assert not untranslated, "missing from zh_Hans:\n" + "\n".join(untranslated)
    assert not sorted(m for m in found if m not in pot), "missing from messages.pot"
    mismatched = [
        msgid
        for msgid in found
        if isinstance(po[msgid].string, str)
        and sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(po[msgid].string))
    ]
    assert not mismatched, f"placeholders differ: {mismatched}"
