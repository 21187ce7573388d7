"""Spoken-answer parsers for the structured question types.

Respondents answer by voice, so what arrives here is ASR text (faster-whisper
tiny.en): mixed case, numbers as digits or as words, fillers ("um", "uh") and
punctuation that may or may not be there. `parse_answer` turns one answer into
a typed value plus a `confident` flag; when the flag is False the moderator asks
the one short question that `confirmation_prompt` builds.

Every parser works on the same token list (lower-case words, numbers and a few
punctuation marks), so they all see one normalisation. The rules are small and
explainable on purpose: a wrong-but-unsure parse costs one confirmation turn, an
exception would cost the interview, so nothing in here raises.

When `confident` is False (the moderator confirms):
- scale: a level word instead of a number ("I'd say high"), a range wider than one
  point ("five to eight" -> 6.5), a rescaled rating ("4 out of 5" -> 8 of 10),
  several different numbers with no cue which one is the rating, or no number in
  range at all (value None). "Between six and seven" is 6.5 and stays confident:
  a half-point answer is deliberate, and confirming it would add a turn for nothing.
- choices: a fuzzy name match ("slak"), a word several options share, two options
  with no stated preference (single choice), an answer outside the options when the
  question does not allow "other", or only negated options ("not Slack").
  Options that are number ranges ("11-50 people") also match a spoken number ("about 30").
- ranking: a single option with no ranking word, or two options given the same rank.
- yes/no: hedges ("kind of", "it depends" -> None), leaning answers ("probably not"),
  and contradictions ("no, that's fine").
- every structured type: no usable answer ("", "...", "I don't know") gives value None;
  open-ended answers are confident unless they contain no words.

The shared tokeniser and number words are in `spoken.py`, option matching is in
`spoken_options.py`, and the parsers for each type are in `scale_answers.py`,
`choice_answers.py` and `yes_no_answers.py`; this module is the public API.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from moderator.choice_answers import OTHER, _parse_multiple, _parse_ranking, _parse_single
from moderator.guide import Question, QuestionType
from moderator.scale_answers import _parse_scale
from moderator.spoken import _tidy, _tokens
from moderator.spoken_options import _NEGATORS
from moderator.yes_no_answers import _parse_yes_no

__all__ = ["OTHER", "ParsedAnswer", "confirmation_prompt", "parse_answer"]


class ParsedAnswer(BaseModel):
    question_id: str
    type: QuestionType
    # scale: int, or a float such as 6.5; single_choice: an option verbatim or "other";
    # multiple_choice: options in guide order (may include "other"); ranking: options, most
    # important first; yes_no: True/False/None; open_ended: the stripped text.
    value: int | float | str | bool | list[str] | None
    confident: bool
    other_text: str | None = None
    raw: str


def parse_answer(question: Question, text: str) -> ParsedAnswer:
    """Parse one spoken answer to `question`. Never raises; `raw` is the text verbatim."""
    raw = text if isinstance(text, str) else ("" if text is None else str(text))
    toks = _tokens(raw)
    value: int | float | str | bool | list[str] | None = None
    other: str | None = None
    kind = question.type
    if kind == QuestionType.scale:
        value, confident = _parse_scale(question, toks)
    elif kind == QuestionType.single_choice:
        value, confident, other = _parse_single(question, toks, raw)
    elif kind == QuestionType.multiple_choice:
        value, confident, other = _parse_multiple(question, toks, raw)
    elif kind == QuestionType.ranking:
        value, confident = _parse_ranking(question, toks)
    elif kind == QuestionType.yes_no:
        value, confident = _parse_yes_no(toks)
    else:
        # A punctuation-only transcript ("...") is ASR noise, not an answer.
        value, confident = raw.strip(), bool(re.search(r"\w", raw))
    return ParsedAnswer(question_id=question.id, type=kind, value=value, confident=confident, other_text=other, raw=raw)


def _names(items: list[str]) -> str:
    items = [i.replace("?", "").strip().rstrip(".!") for i in items]  # exactly one "?" per prompt
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _short_other(parsed: ParsedAnswer) -> str:
    """Echo a short outside-the-list answer ("Discord"); anything long or negated gets a generic phrase."""
    words = re.findall(r"[^\W_][\w'-]*", parsed.other_text or "")
    if 0 < len(words) <= 5 and not _NEGATORS & {w.lower() for w in words}:
        return " ".join(words)
    return "something not on the list"


def confirmation_prompt(question: Question, parsed: ParsedAnswer) -> str:
    """One short question that checks the parse, e.g. "So that's a 7 out of 10?"."""
    kind, value = question.type, parsed.value
    if kind == QuestionType.scale:
        hi = 10 if question.max is None else question.max
        if isinstance(value, int | float) and not isinstance(value, bool):
            shown = str(_tidy(value))
            article = "an" if shown.startswith("8") or shown.split(".")[0] in ("11", "18") else "a"
            return f"So that's {article} {shown} out of {hi}?"
        lo = 1 if question.min is None else question.min
        return f"Sorry, what number would you give it, from {lo} to {hi}?"
    if kind == QuestionType.single_choice:
        if value == OTHER:
            return f"Just to check: was that {_short_other(parsed)}?"
        if isinstance(value, str):
            return f"Just to check: was that {_names([value])}?"
        opts = question.options
        if len(opts) <= 4:
            return f"Sorry, which one was it: {_names(opts[:-1])} or {_names(opts[-1:])}?"
        return "Sorry, which option was that?"
    if kind == QuestionType.multiple_choice:
        if isinstance(value, list) and len(value) > 2 and set(value) == set(question.options):
            return "Just to check: all of them?"
        if isinstance(value, list) and value:
            shown = [_short_other(parsed) if v == OTHER else v for v in value]
            return f"Just to check: {_names(shown)}?"
        if isinstance(value, list):
            return "Just to check: none of them?"
        return "Sorry, which ones were they?"
    if kind == QuestionType.ranking:
        if isinstance(value, list) and len(value) == 1:
            return f"So {_names(value)} matters most?"
        if isinstance(value, list) and value:
            return f"So {_names(value[:1])} first, then {', then '.join(_names([v]) for v in value[1:])}?"
        return "Sorry, could you put them in order, most important first?"
    if kind == QuestionType.yes_no:
        if value is True:
            return "So that's a yes?"
        if value is False:
            return "So that's a no?"
        return "Would you say that's more of a yes or a no?"
    if not str(value or "").strip():
        return "Sorry, could you say that again?"
    return "Did I get that right?"
