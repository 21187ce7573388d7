"""Respondent context from a personalised link: what the moderator may use and what it must never say.

A link carries one flat JSON object, for example

    {"name": "Dana", "company": "Acme Staffing", "role": "COO", "segment": "mid-market",
     "email": "dana@acme.example", "crm_id": "0031x00000AbCd", "private": ["crm_id"]}

Every key is researcher-defined. `private` lists the keys the moderator may
know but never speak; `email` and `phone` are always private. Private values
never reach an `Action.text` (every spoken text passes `speakable`, which
redacts them) and are never sent to an LLM (the LLM policy sends
`public_context` and redacts the transcript with `redact`). They are still
stored with the interview for the researcher.

Texts in a guide may say `{name}` or `{company|your company}`: the value when
the key is present, public and non-empty; otherwise the fallback after `|`,
or nothing, with the punctuation around it tidied ("Thanks {name}." -> "Thanks.").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from moderator.guide import PLACEHOLDER

PRIVATE_KEY = "private"
ALWAYS_PRIVATE = frozenset({"email", "phone"})
MAX_VALUE_CHARS = 60  # a context value spoken inside a question
REDACTED = "[private]"  # what the LLM sees instead of a private value


def _keys(value: Any) -> set[str]:
    if isinstance(value, str):
        return {k.strip().lower() for k in value.split(",") if k.strip()}
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return {str(k).strip().lower() for k in value if str(k).strip()}
    return set()


def private_keys(context: Mapping[str, Any] | None) -> set[str]:
    """Lower-cased names of the keys never to be spoken or sent to a model."""
    if not isinstance(context, Mapping):
        return set(ALWAYS_PRIVATE)
    return set(ALWAYS_PRIVATE) | _keys(context.get(PRIVATE_KEY))


def is_private(key: str, context: Mapping[str, Any] | None) -> bool:
    return str(key).strip().lower() in private_keys(context) or str(key).strip().lower() == PRIVATE_KEY


def public_context(context: Mapping[str, Any] | None) -> dict[str, Any]:
    """The context without private keys and without the `private` marker itself."""
    if not isinstance(context, Mapping):
        return {}
    hidden = private_keys(context)
    return {str(k): v for k, v in context.items() if str(k).strip().lower() not in hidden | {PRIVATE_KEY}}


def _flatten(value: Any) -> list[str]:
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _flatten(v)]
    if isinstance(value, list | tuple | set):
        return [s for v in value for s in _flatten(v)]
    text = " ".join(str(value).split())
    return [text] if text else []


def private_values(context: Mapping[str, Any] | None) -> list[str]:
    """Every private value as text, longest first (so a longer value is redacted before its parts)."""
    if not isinstance(context, Mapping):
        return []
    hidden = private_keys(context)
    values = {s for k, v in context.items() if str(k).strip().lower() in hidden for s in _flatten(v)}
    return sorted(values, key=lambda s: (-len(s), s))


def redact(text: str, context: Mapping[str, Any] | None, replacement: str = REDACTED) -> str:
    """Replace each private value (case-insensitive, as a whole word or phrase) in `text`."""
    for value in private_values(context):
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(p) for p in value.split()) + r"(?!\w)"
        text = re.sub(pattern, replacement, text, flags=re.I)
    return text


def lookup(context: Mapping[str, Any] | None, key: str) -> str | None:
    """A public context value as short speakable text, or None (missing, empty or private)."""
    if not isinstance(context, Mapping) or is_private(key, context):
        return None
    value = context.get(key)
    if value is None:
        value = next((v for k, v in context.items() if str(k).strip().lower() == key.strip().lower()), None)
    parts = _flatten(value)
    if not parts:
        return None
    text = ", ".join(parts).replace("{", "").replace("}", "")
    return text[:MAX_VALUE_CHARS].strip() or None


def render(text: str, context: Mapping[str, Any] | None) -> str:
    """Fill `{key}` / `{key|fallback}` from the public context; tidy what a missing value leaves behind."""
    if "{" not in text:
        return text
    dropped = False

    def fill(match: re.Match[str]) -> str:
        nonlocal dropped
        value = lookup(context, match.group(1))
        if value is not None:
            return value
        fallback = (match.group(2) or "").strip()
        dropped = dropped or not fallback
        return fallback

    out = PLACEHOLDER.sub(fill, text)
    if dropped:
        out = re.sub(r"[ \t]+([,.!?;:])", r"\1", out)  # "Thanks ." -> "Thanks."
        out = re.sub(r"([,;:])\s*([,.!?;:])", r"\2", out)  # "Hi ,." -> "Hi."
        out = re.sub(r"^\s*[,;:.]\s*", "", out)
        out = re.sub(r"[ \t]{2,}", " ", out).strip()
        if out[:1].islower() and not text.lstrip()[:1].islower():
            out = out[0].upper() + out[1:]
    return out


def speakable(text: str, context: Mapping[str, Any] | None) -> str:
    """What the moderator may say: templates filled and any private value removed."""
    out = redact(render(text, context), context, replacement="that")
    return out if out.strip() else "Could you tell me a bit more?"
