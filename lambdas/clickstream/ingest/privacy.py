"""Keyed hashing of identifiers and redaction of contact details in free text and URLs.

Linear time by construction: the only regular expressions are single character-class
runs (`[...]+`), which no engine can backtrack into, and the e-mail and phone rules are
checked by plain scans over each run. A backtracking pattern such as
`[\\w.+-]+@[\\w.-]+\\.\\w{2,}` costs quadratic time on a 2 KB field of address characters
around an `@`; with attacker-chosen fields that is a cheap way to burn Lambda
concurrency (issue 8, class 4). `SCAN_STEPS` counts the work so a test can prove it.

Redaction works on the decoded form: percent- and plus-decoding of every URL component
(and of free text that contains escapes), so `john%40example%2Ecom` and `415+555+1234`
are found; a URL keeps its shape (the placeholder is re-encoded) so it still parses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache
from urllib.parse import quote, quote_plus, unquote, unquote_plus

EMAIL_PLACEHOLDER = "[email]"
PHONE_PLACEHOLDER = "[phone]"

# Characters an e-mail address (local part, "@", domain) can be made of.
_EMAIL_RUN = re.compile(r"[A-Za-z0-9._%+@-]+")
# Digits (any script, as \d) and the separators phone numbers are written with, in runs
# long enough to hold a number: a shorter run fails within 8 characters, so the search
# stays linear, and the "-" in "a-b" never reaches Python.
_PHONE_RUN = re.compile(r"[\d\s().+-]{8,}")
_DIGIT = re.compile(r"\d")
PHONE_MIN_DIGITS = 8  # _PHONE_RUN's {8,}
PHONE_MAX_DIGITS = 16
# Stands in for a host that was nothing but userinfo, so the URL keeps a host.
EMPTY_HOST = "redacted.invalid"
# How many percent-decoding rounds are undone (%2540 is "@" encoded twice).
DECODE_ROUNDS = 3


class ScanSteps:
    """Characters the scanners looked at: a cost counter tests read, cheaper than timing."""

    def __init__(self) -> None:
        self.count = 0


SCAN_STEPS = ScanSteps()


@lru_cache(maxsize=16384)
def hash_identifier(key: bytes, value: str) -> str:
    """HMAC-SHA256 of an identifier: stable for joins, useless without the key."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _is_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _domain_end(domain: str) -> int:
    """Length of the longest prefix of `domain` that ends in a dot and two or more letters
    after at least one other character ("example.com" in "example.com-x"), or -1.
    Linear: the letter runs after different dots do not overlap."""
    best = -1
    dot = domain.find(".", 1)
    while dot >= 0:
        end = dot + 1
        while end < len(domain) and _is_letter(domain[end]):
            end += 1
        SCAN_STEPS.count += end - dot
        if end - dot > 2:
            best = end
        dot = domain.find(".", max(end, dot + 1))
    return best


def _email_end(run: str) -> int:
    """End of the e-mail address(es) in `run` (a maximal run of address characters), or -1.
    The run is split at each "@" once and each domain is scanned once."""
    best = -1
    start = 0
    while True:
        at = run.find("@", start)
        if at < 0:
            return best
        SCAN_STEPS.count += at - start + 1
        if at > start:
            end = run.find("@", at + 1)
            domain = run[at + 1 :] if end < 0 else run[at + 1 : end]
            length = _domain_end(domain)
            if length > 0:
                best = at + 1 + length
        start = at + 1


def _redact_emails(text: str) -> str:
    if "@" not in text:
        return text
    pieces: list[str] = []
    last = 0
    for match in _EMAIL_RUN.finditer(text):
        run = match.group()
        SCAN_STEPS.count += len(run)
        if "@" not in run:
            continue
        end = _email_end(run)
        if end < 0:
            continue
        pieces.append(text[last : match.start()])
        pieces.append(EMAIL_PLACEHOLDER)
        last = match.start() + end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _number_start(text: str, run: str, start: int) -> int:
    """First index in `run` where a phone number may begin: a digit, "+" or "(" that is not
    glued to a word or a path (like the regex boundary (?<![\\w/]))."""
    for index, char in enumerate(run):
        if char.isdecimal() or char in "+(":
            before = run[index - 1] if index else (text[start - 1] if start else " ")
            if not (_is_word(before) or before == "/"):
                return index
    return len(run)


def _redact_phones(text: str) -> str:
    pieces: list[str] = []
    last = 0
    for match in _PHONE_RUN.finditer(text):
        run = match.group()
        SCAN_STEPS.count += 1
        if len(run) < PHONE_MIN_DIGITS:
            continue  # separators between words ("a-b", "x.y"): too short for a number
        start = match.start()
        SCAN_STEPS.count += 2 * len(run)
        first = _number_start(text, run, start)
        end = len(run)
        while end > first and not run[end - 1].isdecimal():
            end -= 1
        if start + end < len(text) and _is_word(text[start + end]):
            # Digits glued to letters ("5678x") are an identifier: end at the separator
            # before them instead.
            while end > first and run[end - 1].isdecimal():
                end -= 1
            while end > first and not run[end - 1].isdecimal():
                end -= 1
        if sum(map(str.isdecimal, run[first:end])) < PHONE_MIN_DIGITS:
            continue
        pieces.append(text[last : start + first])
        pieces.append(PHONE_PLACEHOLDER)
        last = start + end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _redact_plain(text: str) -> str:
    if "@" in text:
        text = _redact_emails(text)
    if _DIGIT.search(text):
        text = _redact_phones(text)
    return text


def _decoded(text: str, plus: bool) -> str:
    decode = unquote_plus if plus else unquote
    for _ in range(DECODE_ROUNDS):
        if "%" not in text and not (plus and "+" in text):
            break
        decoded = decode(text)
        if decoded == text:
            break
        text = decoded
    return text


# Cached: page titles and props repeat across the events of a session.
@lru_cache(maxsize=16384)
def redact(text: str) -> str:
    """`text` with e-mail addresses and phone numbers replaced by placeholders, found also
    when they are percent- or plus-encoded (then the decoded, redacted text is kept)."""
    redacted = _redact_plain(text)
    if "%" in redacted or "+" in redacted:
        decoded = _decoded(redacted, plus=True)
        if decoded != redacted:
            clean = _redact_plain(decoded)
            if clean != decoded:
                return clean
    return redacted


def _redact_component(component: str, plus: bool, safe: str) -> str:
    """One URL component, redacted on its decoded form; re-encoded only when changed, so
    an untouched component keeps its exact bytes."""
    decoded = _decoded(component, plus)
    clean = _redact_plain(decoded)
    if clean == decoded:
        return component
    return quote_plus(clean, safe=safe) if plus else quote(clean, safe=safe)


def _redact_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, equals, value = pair.partition("=")
        pairs.append(
            _redact_component(name, True, "") + equals + _redact_component(value, True, "")
        )
    return "&".join(pairs)


@lru_cache(maxsize=16384)
def redact_url(url: str) -> str:
    """`url` with contact details removed from every component (decoded), userinfo
    (credentials or an e-mail before the host) dropped, and a well-formed URL kept.
    Tolerant: never raises, whatever the URL looks like."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return redact(url)
    cut = len(rest)
    for mark in ("/", "?", "#"):
        at = rest.find(mark)
        if 0 <= at < cut:
            cut = at
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        authority = authority.rpartition("@")[2] or EMPTY_HOST
    # Encoded "@" in the authority is not an e-mail of a shopper; a host is kept as sent.
    tail, hash_mark, fragment = tail.partition("#")
    path, question, query = tail.partition("?")
    path = "/".join(_redact_component(segment, False, "") for segment in path.split("/"))
    if question:
        query = _redact_query(query)
    if hash_mark:
        fragment = _redact_component(fragment, False, "/?=&")
    return f"{scheme}://{authority}{path}{question}{query}{hash_mark}{fragment}"


def looks_like_phone_number(value: int | float) -> bool:
    """A whole number with as many digits as a phone number (the text rule's 8 to 16)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        if not value.is_integer():
            return False
        value = int(value)
    return PHONE_MIN_DIGITS <= len(str(abs(value))) <= PHONE_MAX_DIGITS
