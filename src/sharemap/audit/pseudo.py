"""Keyed pseudonyms for plates, user ids and officer names (HMAC-SHA256).

The key comes from the environment variable SHAREMAP_AUDIT_KEY (any string; share it between runs or
machines to get the same pseudonyms) or, when that is unset, from a per-install random key file,
`$SHAREMAP_HOME/audit.key` (32 random bytes as hex, created with mode 0600 on first use). Without the
key a pseudonym cannot be reversed or recomputed from a guessed plate. `--reveal` turns it off.

A pseudonym is `<kind>:<first 12 hex digits of HMAC-SHA256(key, kind + ":" + normalised value)>`;
plates are normalised to upper case without spaces or dashes, names and ids are trimmed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from sharemap import settings
from sharemap.errors import InputError

KEY_ENV = "SHAREMAP_AUDIT_KEY"
DIGITS = 12
# a plate in free text: 5-8 letters and digits, both present, or two groups joined by a dash
# ("ABC-1234"); not part of a longer word, a hyphenated run or a time ("2025-08-22T18:07")
_PLATE_TOKEN = re.compile(
    r"(?<![\w:-])(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])"
    r"(?:[A-Za-z0-9]{5,8}|[A-Za-z0-9]{2,4}-[A-Za-z0-9]{2,5})(?![\w:-])"
)
# an officer named in free text: a rank or title (any case; "Inv" and "Off" left out, they are also
# placeholder and ordinary words) then a badge number or one or two capitalised words
_OFFICER = re.compile(
    r"\b(?P<title>(?i:officer|ofcr?|deputy|dep|sgt|sergeant|lt|lieutenant|det|detective|cpl|corporal"
    r"|trooper|tpr|agent|s/?a|capt|captain|investigator)\.?)(?P<gap>\s*#\s*|\s+#?)"
    r"(?P<who>\d{2,6}\b|[A-Z][A-Za-z'\-]+(?:\s+[A-Z][A-Za-z'\-]+)?)"
)


def key_file() -> Path:
    return settings.home() / "audit.key"


def load_key() -> bytes:
    """The pseudonymisation key: SHAREMAP_AUDIT_KEY, else the install's key file (created if absent)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    text = path.read_text().strip()
    if not text:
        raise InputError(
            "the audit key file is empty", file=path, expected="64 hex digits, or set " + KEY_ENV
        )
    return text.encode("utf-8")


def normalise(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "plate":
        return re.sub(r"[\s\-]", "", value).upper()
    return value


class Pseudonymiser:
    """Turns identifying values into stable keyed pseudonyms (or leaves them, when reveal=True)."""

    def __init__(self, key: bytes | None = None, reveal: bool = False) -> None:
        self.reveal = reveal
        self.key = b"" if reveal else (key if key is not None else load_key())
        self._cache: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, value: str | None) -> str | None:
        if value is None or value == "" or self.reveal:
            return value
        ck = (kind, value)
        hit = self._cache.get(ck)
        if hit is None:
            msg = f"{kind}:{normalise(kind, value)}".encode()
            hit = f"{kind}:{hmac.new(self.key, msg, hashlib.sha256).hexdigest()[:DIGITS]}"
            self._cache[ck] = hit
        return hit

    def text(self, value: str | None) -> str | None:
        """Free text (a stated reason) with officers named after a title ("Ofc. Smith", "DEP JONES",
        "Officer #4521") and plate-like tokens (5-8 letters and digits) pseudonymised."""
        if value is None or self.reveal:
            return value
        named = _OFFICER.sub(lambda m: f"{m['title']} {self('officer', m['who'])}", value)
        return _PLATE_TOKEN.sub(lambda m: self("plate", m.group(0)) or "", named)

    def sql_macro(self) -> str:
        """A DuckDB macro `pseudo(kind, value)` computing exactly the same HMAC as __call__."""
        block = 64
        key = self.key if len(self.key) <= block else hashlib.sha256(self.key).digest()
        key = key.ljust(block, b"\0")
        ipad = bytes(b ^ 0x36 for b in key).hex()
        opad = bytes(b ^ 0x5C for b in key).hex()
        if self.reveal:
            return "CREATE OR REPLACE TEMP MACRO pseudo(kind, v) AS v"
        norm = (
            "CASE WHEN kind = 'plate' THEN upper(regexp_replace(trim(v), '[\\s\\-]', '', 'g')) "
            "ELSE trim(v) END"
        )
        inner = f"unhex(sha256(unhex('{ipad}') || encode(kind || ':' || {norm})))"
        return (
            "CREATE OR REPLACE TEMP MACRO pseudo(kind, v) AS CASE WHEN v IS NULL OR v = '' THEN v ELSE "
            f"kind || ':' || left(sha256(unhex('{opad}') || {inner}), {DIGITS}) END"
        )
