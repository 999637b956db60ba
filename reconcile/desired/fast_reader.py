"""The fast path for large files: parse with `yaml_rs` (Rust), or say "use the exact reader".

Why: reading 100k users through libyaml's event stream takes seconds (issue 18); `yaml_rs`
builds the same Python data in a fraction of it. It keeps no positions, and its rules are
standard YAML 1.2 rather than ours, so it is only ever a shortcut for files on which both
readers must agree. `fast_read` returns None, and the exact reader (yaml_reader.py) reads
the file, whenever the two could disagree:

- the text holds anything our reader treats specially or that the two parsers handle
  differently: anchors and aliases (`&`, `*`: bounded by us), tags (`!`: refused by us),
  merge keys (`<<`), `${VAR}` references, directives (`%`), backslash escapes, tabs,
  characters libyaml refuses, and the line breaks only YAML 1.1 knows (NEL, LS, PS);
- `yaml_rs` is not installed, or refuses the text (its message is never shown: the exact
  reader's is);
- the result is not one mapping.

The loader then accepts the fast result only if the whole file is valid (fast path in
loader.py); any problem at all sends the file through the exact reader, so every message
and position is the exact reader's. Plain scalars `yaml_rs` types differently (`0b11`,
`1_000`, `0X1F` become ints there, strings here) cannot pass that check unnoticed: a string
field refuses an int, and the format has no other field they could fill.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

_parser: ModuleType | None
try:  # a wheel for every common platform; without it, the exact reader reads everything
    import yaml_rs

    _parser = yaml_rs
except ImportError:  # pragma: no cover - exercised only where no wheel exists
    _parser = None

# Smaller files gain nothing worth a second parser: the exact reader reads them.
FAST_MIN_CHARS = 64 * 1024

# (a character, the text that needs the exact reader): one fast scan for the character
# first, as the two-character marks are slower to look for and rarely there.
_SPECIAL = (
    ("&", "&"), ("*", "*"), ("!", "!"), ("\\", "\\"), ("\t", "\t"),
    ("<", "<<"), ("$", "${"), ("%", "\n%"),
)  # fmt: skip
# Characters libyaml refuses, as ASCII bytes: deleting the allowed ones (and every non-ASCII
# byte) must leave nothing. Then, in non-ASCII text, the refused ones beyond ASCII and the
# line breaks only YAML 1.1 knows (NEL, LS, PS), which libyaml breaks lines at.
_ALLOWED_BYTES = b"\t\n\r" + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
_REFUSED_OR_BREAK = re.compile("[\x80-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def fast_read(text: str) -> dict[str, Any] | None:
    """The document as plain dicts, lists and scalars; None when the exact reader must read."""
    if _parser is None or text.startswith("%"):
        return None
    if any(char in text and mark in text for char, mark in _SPECIAL):
        return None
    if text.encode("utf-8", "surrogatepass").translate(None, _ALLOWED_BYTES):
        return None
    if not text.isascii() and _REFUSED_OR_BREAK.search(text):
        return None
    try:
        document = _parser.loads(text, parse_datetime=False)
    except Exception:  # any refusal at all: the exact reader explains it
        return None
    return document if type(document) is dict else None
