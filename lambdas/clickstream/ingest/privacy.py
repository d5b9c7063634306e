"""Keyed hashing of identifiers and redaction of contact details in free text."""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

EMAIL_PLACEHOLDER = "[email]"
PHONE_PLACEHOLDER = "[phone]"

# Deliberately broad: a false positive costs one redacted word, a miss leaks PII.
# URL-encoded "@" (%40) is matched too, since e-mails hide in query strings.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}", re.IGNORECASE)
# Seven or more digits, optionally led by + and split by spaces, dots, dashes or
# parentheses: phone numbers in any national format. Product ids such as
# "sku-123" have too few digits to match.
_PHONE = re.compile(
    r"(?<![\w/])(?:\+|%2B|00)?\(?\d(?:[\s().-]|%20)*(?:\d(?:[\s().-]|%20)*){6,14}\d(?!\w)"
)
_HAS_DIGIT_RUN = re.compile(r"\d")


@lru_cache(maxsize=16384)
def hash_identifier(key: bytes, value: str) -> str:
    """HMAC-SHA256 of an identifier: stable for joins, useless without the key."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


# Cached: page URLs, titles and referrers repeat across the events of a session.
@lru_cache(maxsize=16384)
def redact(text: str) -> str:
    """`text` with e-mail addresses and phone numbers replaced by placeholders."""
    if "@" in text or "%40" in text:
        text = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    if _HAS_DIGIT_RUN.search(text):
        text = _PHONE.sub(PHONE_PLACEHOLDER, text)
    return text
