"""Text that enters frontdesk: one cleaner for everything stored or queried, and one strict
e-mail address parser. Pure functions: no I/O, no framework (docs/architecture/security.md).

Policy:
- What a person typed into a form or the API (names, e-mails, message text, filters, searches,
  canned text, tags, titles): a NUL character is refused with a 400 naming the field (it is never
  meaningful, and PostgreSQL cannot store it); every other control character (C0, DEL, C1) is
  removed, except newline and tab in multi-line text; in single-line text line breaks and tabs
  become spaces, and bidirectional override/isolate/mark characters are removed (they let a name
  display as something else).
- Passive metadata a browser sends on its own (page URL and title, referrer, user agent):
  `scrub`, which removes the same characters and NUL too, silently, and never refuses.
"""

from __future__ import annotations

import re

from frontdesk.domain.chat_rules import ChatRuleError

# C0 controls, DEL and C1 controls.
_CONTROLS = "".join(chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)))
# Bidirectional embeddings/overrides (U+202A-U+202E), isolates (U+2066-U+2069), marks (U+200E/F),
# the Arabic letter mark (U+061C).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# Line separators Python treats as line breaks (str.splitlines) that are not controls.
_LINE_SEPARATORS = "\u2028\u2029"

_MULTI_LINE_KEEP = "\n\t"
_MULTI_LINE_DROP = re.compile("[" + re.escape("".join(ch for ch in _CONTROLS if ch not in _MULTI_LINE_KEEP)) + "]")
# In one line, the whitespace-like controls (tab, line breaks, the separators str.split() treats as
# whitespace) become a space; the other controls and the bidi controls are removed.
_ONE_LINE_SPACE = re.compile("[\t\n\v\f\r\x1c\x1d\x1e\x1f\x85" + _LINE_SEPARATORS + "]")
_ONE_LINE_DROP = re.compile("[" + re.escape(_CONTROLS + BIDI_CONTROLS) + "]")


def strip_controls(text: str, *, multiline: bool = False) -> str:
    """`text` without NUL, control characters and (in one line) bidi controls. Never refuses;
    idempotent. Multi-line text keeps newlines and tabs (a CR of a CRLF is dropped)."""
    if multiline:
        return _MULTI_LINE_DROP.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _ONE_LINE_DROP.sub("", _ONE_LINE_SPACE.sub(" ", text))


def scrub(value: object, *, max_chars: int | None = None) -> str | None:
    """Passive metadata from a browser (page title, URL, referrer, user agent): cleaned silently,
    never refused. Not a string -> None; empty after cleaning -> None."""
    if not isinstance(value, str):
        return None
    cleaned = strip_controls(value).strip()
    if max_chars is not None:
        cleaned = cleaned[:max_chars].rstrip()
    return cleaned or None


def check_no_nul(value: str, field: str) -> str:
    if "\x00" in value:
        raise ChatRuleError("bad_request", f"{field}: must not contain NUL characters", field=field)
    return value


def clean_text(value: object, field: str, *, multiline: bool = False) -> str:
    """What a person typed: must be a string without NUL (a 400 naming `field`); the other control
    characters are removed (see the module's policy). Length and emptiness are the caller's rules."""
    if not isinstance(value, str):
        raise ChatRuleError("bad_request", f"{field}: must be a string", field=field)
    return strip_controls(check_no_nul(value, field), multiline=multiline)


def clean_line(value: object, field: str) -> str:
    """One line as a person typed it: `clean_text`, then runs of whitespace folded into one space
    and the ends trimmed ("  Ann \\t Lee " -> "Ann Lee")."""
    return " ".join(clean_text(value, field).split())


def clean_optional_line(value: object, field: str, *, max_chars: int) -> str | None:
    """`clean_line` for an optional field: None or empty -> None; longer than `max_chars` -> 400."""
    if value is None:
        return None
    line = clean_line(value, field)
    if len(line) > max_chars:
        raise ChatRuleError("bad_request", f"{field}: must be at most {max_chars} characters", field=field)
    return line or None


# ---------------------------------------------------------------- e-mail addresses

EMAIL_MAX = 254
LOCAL_MAX = 64
LABEL_MAX = 63
# The local part: a dot-atom of RFC 5322 atext, ASCII only (no quoted strings, no comments).
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _bad_address(field: str, why: str) -> ChatRuleError:
    return ChatRuleError("bad_request", f"{field}: is not a valid e-mail address ({why})", field=field)


def parse_email_address(value: object, field: str = "email") -> str:
    """The one e-mail address parser: `local@domain`, ASCII local part (a dot-atom, no encoded
    words), the domain ASCII or internationalised (returned in its IDNA `xn--` form, lowercase).
    Surrounding spaces are trimmed; nothing else is changed. Refusals are a 400 naming `field`.

    Whatever it returns is one plain address a mail header can hold as it is: no whitespace,
    control characters, quotes, angle brackets, commas, semicolons or parentheses."""
    if not isinstance(value, str):
        raise ChatRuleError("bad_request", f"{field}: must be an e-mail address", field=field)
    check_no_nul(value, field)
    address = value.strip(" ")
    if not address:
        raise ChatRuleError("bad_request", f"{field}: must not be empty", field=field)
    if len(address) > EMAIL_MAX * 4:
        raise _bad_address(field, f"at most {EMAIL_MAX} characters")
    if address.count("@") != 1:
        raise _bad_address(field, "it needs exactly one @")
    local, domain = address.split("@")
    if not local or len(local) > LOCAL_MAX:
        raise _bad_address(field, f"the part before @ must be 1 to {LOCAL_MAX} characters")
    if not _LOCAL.fullmatch(local):
        raise _bad_address(field, "the part before @ has a character that is not allowed")
    if "=?" in local or "?=" in local:
        raise _bad_address(field, "encoded words are not allowed")
    ascii_domain = _ascii_domain(domain, field)
    result = f"{local}@{ascii_domain}"
    if len(result) > EMAIL_MAX:
        raise _bad_address(field, f"at most {EMAIL_MAX} characters")
    return result


def _ascii_domain(domain: str, field: str) -> str:
    if not domain or domain.endswith(".") or domain.startswith("."):
        raise _bad_address(field, "the domain is missing or malformed")
    if any(ch.isspace() or not ch.isprintable() for ch in domain) or any(ch in domain for ch in "[]\\\"'<>(),;:"):
        raise _bad_address(field, "the domain has a character that is not allowed")
    if domain.isascii():
        ascii_domain = domain.lower()
    else:
        try:
            ascii_domain = domain.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise _bad_address(field, "the domain is not a valid internationalised name") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2:
        raise _bad_address(field, "the domain needs a dot, as in example.com")
    for label in labels:
        if len(label) > LABEL_MAX or not _LABEL.fullmatch(label):
            raise _bad_address(field, "each part of the domain is letters, digits and inner dashes")
    if labels[-1].isdigit():
        raise _bad_address(field, "the domain must end in a name, not a number")
    return ascii_domain


def is_email_address(value: object) -> bool:
    try:
        parse_email_address(value)
    except ChatRuleError:
        return False
    return True
