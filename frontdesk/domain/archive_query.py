"""What a person types into the archive's search box, made safe for either full-text engine.

The search text is never handed to SQLite FTS5 or PostgreSQL as query syntax: it is split here
into words (runs of letters and digits, as both engines tokenise messages) and quoted phrases,
and each backend's query is rebuilt from those words alone. There are no operators: every word
must appear (AND), "two words" must appear together, and `word*` (3+ characters) matches words
that start with it. Anything else (quotes left open, AND/OR/NEAR, colons, brackets, minus
signs) is just text. Pure functions: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from frontdesk.domain.chat_rules import ChatRuleError

MAX_QUERY_CHARS = 500
MAX_TERMS = 20
MIN_PREFIX_CHARS = 3  # shorter prefixes would merge a large part of the index
SNIPPET_BEFORE = 60
SNIPPET_CHARS = 220

# A word: letters and digits (Unicode), the way FTS5's unicode61 tokenizer and PostgreSQL's
# parser (fed text whose punctuation became spaces, see store/archive_store.py) both see it.
WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'"([^"]*)"|([^\W_]+)(\*?)')


@dataclass(frozen=True, slots=True)
class Term:
    """One search term: a word, a "phrase" of words in order, or a prefix (`word*`)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class SearchText:
    terms: tuple[Term, ...]
    raw: str

    @property
    def empty(self) -> bool:
        return not self.terms


def parse_search(text: object) -> SearchText:
    """The terms of a search text, or a ChatRuleError naming `q`."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ChatRuleError("bad_request", "q: must be a string", field="q")
    if len(text) > MAX_QUERY_CHARS:
        raise ChatRuleError(
            "bad_request", f"q: must be at most {MAX_QUERY_CHARS} characters (got {len(text)})", field="q"
        )
    if "\x00" in text:
        raise ChatRuleError("bad_request", "q: must not contain NUL characters", field="q")
    terms: list[Term] = []
    seen: set[Term] = set()
    for phrase, word, star in _TOKEN.findall(text):
        if word:
            words = (word.lower(),)
            term = Term(words, prefix=bool(star) and len(word) >= MIN_PREFIX_CHARS)
        else:
            words = tuple(w.lower() for w in WORD.findall(phrase))
            if not words:
                continue
            term = Term(words)
        if term not in seen:
            seen.add(term)
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise ChatRuleError("bad_request", f"q: use at most {MAX_TERMS} words or phrases (got {len(terms)})", field="q")
    return SearchText(tuple(terms), text)


def fts5_query(search: SearchText) -> str:
    """An FTS5 MATCH expression: every word double-quoted, so none is read as syntax."""
    parts = []
    for term in search.terms:
        # WORD admits no double quote, so quoting cannot be broken out of.
        quoted = '"' + " ".join(term.words) + '"'
        parts.append(quoted + " *" if term.prefix else quoted)
    return " AND ".join(parts)


def tsquery_text(search: SearchText) -> str:
    """Text for PostgreSQL's to_tsquery('simple', …): single-quoted operands, & and <->."""
    parts = []
    for term in search.terms:
        # WORD admits no single quote or backslash, so the quoting holds.
        phrase = " <-> ".join(f"'{w}'" for w in term.words)
        if term.prefix:
            phrase += ":*"
        parts.append(phrase if len(term.words) == 1 else f"({phrase})")
    return " & ".join(parts)


def _hits(text: str, search: SearchText) -> list[tuple[int, int]]:
    """(start, end) of every word of `text` that a term of the search matches."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for term in search.terms:
        if term.prefix:
            prefixes.append(term.words[0])
        else:
            exact.update(term.words)
    spans = []
    for m in WORD.finditer(text):
        word = m.group().lower()
        if word in exact or any(word.startswith(p) for p in prefixes):
            spans.append(m.span())
    return spans


def highlight(text: str, search: SearchText, *, before: int = SNIPPET_BEFORE, width: int = SNIPPET_CHARS) -> list[str]:
    """A snippet of `text` around its first match, as parts: even indexes are plain text, odd
    indexes the matched words. Clients render each part as text (a match inside <mark>), so
    nothing the visitor wrote is ever parsed as markup."""
    spans = _hits(text, search)
    start = 0
    if spans and spans[0][0] > before:
        start = spans[0][0] - before
        space = text.find(" ", start, spans[0][0])
        start = space + 1 if space != -1 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    parts: list[str] = []
    cursor = start
    prefix = "…" if start > 0 else ""
    for a, b in spans:
        if a < start:
            continue
        if b > end:
            break
        parts.append(prefix + text[cursor:a])
        prefix = ""
        parts.append(text[a:b])
        cursor = b
    parts.append(prefix + text[cursor:end] + ("…" if end < len(text) else ""))
    return parts


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or a tab or carriage
    return, which some spreadsheets skip before one) gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
