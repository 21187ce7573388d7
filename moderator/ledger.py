"""The moderator's ledger: what has been asked, answered, confirmed and covered so far.

The ledger is rebuilt from `InterviewState` on every decision (the state is
the single source of truth and a rebuild is a few milliseconds), so the rule
and the LLM policies, the session and the transcript all read one account of
the interview:

- per guide question: every exchange (ask, follow-ups, confirmations) with the
  respondent's replies, the resolved answer (`ParsedAnswer`), whether the
  respondent declined it, and whether the link context already answers it;
- per probe goal: whether and where it is covered (by cue words in any answer,
  a substantive answer to a question serving it, or a context field named
  after it);
- the time budget (`Budget`): pace, what the remaining required questions
  need, and so whether a probe or an optional question still fits.

`structured_answers(state)` is the public entry point the session uses for the
transcript. Nothing here raises on odd input: unknown question ids, turns with
no question, empty answers and one-question guides are all fine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from moderator import methodologies
from moderator.answers import OTHER, ParsedAnswer, parse_answer
from moderator.context import lookup
from moderator.guide import Guide, Question, QuestionType
from moderator.methodologies import Goal, declines, dont_know, is_thin
from moderator.policy import ActionKind, InterviewState

__all__ = ["Budget", "Entry", "Exchange", "Ledger", "ParsedAnswer", "build_ledger", "structured_answers"]

DEFAULT_PACE_S = 45.0  # seconds per exchange before the interview shows its own pace
MIN_PACE_S, MAX_PACE_S = 15.0, 180.0
MAX_CONFIRMS = 2  # the check, then one re-ask when the respondent says it was wrong

_YES_NO = Question(id="_confirmation", text="Is that right?", type=QuestionType.yes_no)
# Words that answer the confirmation itself, stripped before the rest is read as a new value.
_CONFIRM_LEAD = re.compile(
    r"^\W*(?:(?:yes|yeah|yep|yup|yah|no|nope|nah|correct|right|exactly|sorry|actually|well|oh|um|uh|"
    r"i mean|that's right|that's correct|that is right|not quite|not exactly|it's|it is|it was|that's|"
    r"that is|make that|more like|i said)\b\W*)+",
    re.I,
)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", (text or "").lower()))


@dataclass
class Exchange:
    """One moderator turn about a question and the respondent's reply to it."""

    kind: ActionKind
    prompt: str
    replies: list[str] = field(default_factory=list)

    @property
    def reply(self) -> str:
        return " ".join(r.strip() for r in self.replies if r and r.strip())

    @property
    def answered(self) -> bool:
        return bool(self.replies)


@dataclass
class Entry:
    """Everything about one guide question."""

    question: Question
    exchanges: list[Exchange] = field(default_factory=list)
    answer: ParsedAnswer | None = None
    context_answer: ParsedAnswer | None = None  # set when the link context answers the question
    declined: bool = False

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def asked(self) -> bool:
        return any(x.kind == ActionKind.ask for x in self.exchanges)

    def count(self, kind: ActionKind) -> int:
        return sum(1 for x in self.exchanges if x.kind == kind)

    @property
    def follow_ups(self) -> int:
        return self.count(ActionKind.follow_up)

    @property
    def confirms(self) -> int:
        return self.count(ActionKind.confirm)

    @property
    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None

    def replies(self, *kinds: ActionKind) -> list[str]:
        kinds = kinds or (ActionKind.ask, ActionKind.follow_up)
        return [x.reply for x in self.exchanges if x.kind in kinds and x.reply]

    def open_text(self) -> str:
        """The answer and its follow-up answers, as one text."""
        return " ".join(self.replies())


@dataclass
class Budget:
    """The time plan: probes and optional questions are trimmed so the wrap-up fits the target."""

    target_s: float
    hard_s: float
    elapsed_s: float
    pace_s: float
    need_s: float  # estimated time of the required questions still to ask, plus the wrap-up

    @property
    def remaining_s(self) -> float:
        return self.target_s - self.elapsed_s

    @property
    def slack_s(self) -> float:
        return self.remaining_s - self.need_s

    @property
    def over_target(self) -> bool:
        return self.elapsed_s >= self.target_s

    @property
    def past_hard_stop(self) -> bool:
        return self.elapsed_s >= self.hard_s

    def allows_probe(self, nth: int = 1) -> bool:
        """The nth probe on a question needs room for n more exchanges beyond the plan."""
        return not self.over_target and self.slack_s >= self.pace_s * max(nth, 1)

    def allows_confirm(self) -> bool:
        """A confirmation is a short turn (a yes/no or one number back): half an exchange."""
        return not self.over_target and self.slack_s >= self.pace_s / 2

    def allows_optional(self) -> bool:
        return not self.over_target and self.slack_s >= self.pace_s

    def probes_left(self) -> int:
        if self.over_target:
            return 0
        return max(0, int(self.slack_s // self.pace_s))


class Ledger:
    """Built by `build_ledger(state)`; see the module docstring."""

    def __init__(self, guide: Guide, context: dict[str, Any] | None, elapsed_s: float = 0.0) -> None:
        self.guide = guide
        self.context = context if isinstance(context, dict) else {}
        self.elapsed_s = elapsed_s if isinstance(elapsed_s, int | float) else 0.0
        self.entries: dict[str, Entry] = {q.id: Entry(q) for q in guide.questions}
        self.order = [q.id for q in guide.questions]
        self.goals: dict[str, Goal] = methodologies.goals_for(guide)
        self.covered: dict[str, str] = {}  # goal id -> question id, or "context"
        self.current: Entry | None = None  # the question of the last moderator turn
        self.last_kind: ActionKind | None = None
        self.reply = ""  # what the respondent said since the last moderator turn
        self.replied = False
        self.ended = False
        self.moderator_turns = 0
        self.said: set[str] = set()  # normalised moderator texts, so nothing is said twice
        self.wrap_up_ids = guide.wrap_up_ids()

    # -- lookups ------------------------------------------------------------------

    def entry(self, question_id: str | None) -> Entry | None:
        return self.entries.get(question_id) if question_id else None

    @property
    def asked_ids(self) -> set[str]:
        return {e.id for e in self.entries.values() if e.asked}

    def is_wrap_up(self, question: Question) -> bool:
        return question.id in self.wrap_up_ids

    def goals_of(self, question: Question) -> list[Goal]:
        return [self.goals[g] for g in question.probe_goals if g in self.goals]

    def uncovered_goals(self, question: Question) -> list[Goal]:
        return [g for g in self.goals_of(question) if g.id not in self.covered]

    def has_said(self, text: str) -> bool:
        return _norm(text) in self.said

    # -- the plan -----------------------------------------------------------------

    def static_skip(self, question: Question) -> str | None:
        """'context' or 'covered' when the question need not be asked whatever the time."""
        entry = self.entries.get(question.id)
        if entry is not None and entry.context_answer is not None:
            return "context"
        goals = self.goals_of(question)
        if question.skips_when_covered and goals and not self.is_wrap_up(question):
            if all(g.id in self.covered for g in goals):
                return "covered"
        return None

    def skip_reason(self, question: Question, budget: Budget) -> str | None:
        """Why an unasked question will not be asked now: context, covered or time (None: ask it)."""
        reason = self.static_skip(question)
        if reason or self.is_wrap_up(question):
            return reason
        if budget.past_hard_stop:
            return "time"
        if not question.required and not budget.allows_optional():
            return "time"
        return None

    def budget(self) -> Budget:
        guide = self.guide
        turns = self.moderator_turns
        elapsed = max(0.0, float(self.elapsed_s))
        # The interview's own pace once it has one; the default before the first exchange.
        pace = elapsed / turns if turns and elapsed > 0 else DEFAULT_PACE_S
        pace = min(max(pace, MIN_PACE_S), MAX_PACE_S)
        pending = [
            q for q in guide.questions[self._start() :]
            if self.static_skip(q) is None and (q.required or self.is_wrap_up(q))
        ]
        return Budget(
            target_s=guide.target_minutes * 60,
            hard_s=guide.hard_stop_minutes * 60,
            elapsed_s=elapsed,
            pace_s=pace,
            need_s=len(pending) * pace,
        )

    def pending(self, budget: Budget | None = None) -> list[Question]:
        """Questions still to ask, in guide order after the furthest one asked (the guide is walked
        forwards; a question passed over is not gone back to)."""
        budget = budget or self.budget()
        return [q for q in self.guide.questions[self._start() :] if self.skip_reason(q, budget) is None]

    def _start(self) -> int:
        asked = [i for i, qid in enumerate(self.order) if self.entries[qid].asked]
        return max(asked) + 1 if asked else 0

    def next_question(self, budget: Budget | None = None) -> Question | None:
        pending = self.pending(budget)
        return pending[0] if pending else None

    def missing_required(self, budget: Budget | None = None) -> list[str]:
        """Required questions not yet asked that the plan still asks (the interview may not end before)."""
        return [q.id for q in self.pending(budget) if q.required]

    # -- results ------------------------------------------------------------------

    def answers(self) -> dict[str, ParsedAnswer]:
        out: dict[str, ParsedAnswer] = {}
        for qid in self.order:
            entry = self.entries[qid]
            if entry.answer is not None:
                out[qid] = entry.answer
            elif entry.context_answer is not None:
                out[qid] = entry.context_answer
        return out


# -- building -------------------------------------------------------------------------


def build_ledger(state: InterviewState) -> Ledger:
    ledger = Ledger(state.guide, state.context, state.elapsed_s)
    current: Entry | None = None
    exchange: Exchange | None = None
    for turn in state.turns:
        if turn.speaker == "moderator":
            ledger.moderator_turns += 1
            ledger.said.add(_norm(turn.text))
            ledger.reply, ledger.replied = "", False
            ledger.last_kind = turn.kind
            if turn.kind == ActionKind.end:
                ledger.ended = True
            current = ledger.entry(turn.question_id)
            exchange = None
            if current is not None and turn.kind is not None and turn.kind != ActionKind.end:
                exchange = Exchange(turn.kind, turn.text)
                current.exchanges.append(exchange)
            ledger.current = current
        else:
            text = turn.text if isinstance(turn.text, str) else ""
            ledger.reply = f"{ledger.reply} {text}".strip()
            ledger.replied = True
            if exchange is None and current is None:
                # An answer with no moderator turn before it: attach it to its own question, if known.
                orphan = ledger.entry(turn.question_id)
                if orphan is not None:
                    exchange = Exchange(ActionKind.ask, "")
                    orphan.exchanges.append(exchange)
                    current = orphan
            if exchange is not None:
                exchange.replies.append(text)
    for entry in ledger.entries.values():
        _resolve(entry)
        _context_answer(ledger, entry)
    _cover_goals(ledger)
    return ledger


def structured_answers(state: InterviewState) -> dict[str, ParsedAnswer]:
    """The current answer to every guide question answered so far, by question id.

    Confirmations are resolved (a "yes" to "So that's a 7 out of 10?" confirms 7, "no, eight"
    corrects it to 8, a bare "no" leaves the value None); open-ended values are the answer
    text plus its follow-up answers. Questions the link context answered are included
    (parsed from the context value). Never raises.
    """
    try:
        return build_ledger(state).answers()
    except Exception:  # the transcript must not fail on a moderator bug
        return {}


def _resolve(entry: Entry) -> None:
    q = entry.question
    parsed: ParsedAnswer | None = None
    for x in entry.exchanges:
        if not x.answered:
            continue
        reply = x.reply
        if x.kind == ActionKind.ask:
            parsed = parse_answer(q, reply)
            entry.declined = declines(reply)
        elif x.kind == ActionKind.confirm and q.type != QuestionType.open_ended:
            parsed = _apply_confirmation(q, parsed, reply)
            entry.declined = entry.declined or declines(reply)
    if q.type == QuestionType.open_ended and entry.replies():
        text = entry.open_text()
        raw = " ".join(r for x in entry.exchanges for r in x.replies if x.kind != ActionKind.confirm)
        parsed = ParsedAnswer(
            question_id=q.id, type=q.type, value=text, confident=bool(re.search(r"\w", text)), raw=raw
        )
    entry.answer = parsed


# Words left after "no"/"yes" that carry no answer ("no way", "yes please", "no thanks").
_FILLER_WORDS = set("way not at all really thanks thank you sure please okay ok so just that's it is was".split())


def _only_other(value: Any) -> bool:
    return value == OTHER or (isinstance(value, list) and bool(value) and set(value) <= {OTHER})


def _has_value(parsed: ParsedAnswer | None) -> bool:
    return parsed is not None and parsed.value not in (None, [], "")


def _apply_confirmation(q: Question, prev: ParsedAnswer | None, reply: str) -> ParsedAnswer:
    """Resolve the reply to "So that's a 7 out of 10?" against the answer it checks."""
    yes_no = parse_answer(_YES_NO, reply).value  # True, False or None
    raw = f"{prev.raw} / {reply}" if prev is not None else reply

    def update(value: Any, confident: bool, other: str | None = None) -> ParsedAnswer:
        return ParsedAnswer(question_id=q.id, type=q.type, value=value, confident=confident, other_text=other, raw=raw)

    if q.type == QuestionType.yes_no:
        if prev is None or prev.value is None:
            fresh = parse_answer(q, reply)
            return update(fresh.value, fresh.confident)
        if yes_no is True:
            return update(prev.value, True)
        if yes_no is False:
            return update(not prev.value, True)  # "So that's a yes?" - "No." means the answer is no
        return update(prev.value, False)

    rest = _CONFIRM_LEAD.sub("", reply).strip()
    words = set(re.findall(r"[\w']+", rest.lower()))
    fresh = parse_answer(q, rest) if words - _FILLER_WORDS else None
    if fresh is not None and _only_other(fresh.value) and yes_no is not False:
        fresh = None  # "yes, sure" is a confirmation, not an "other" answer
    if prev is None or prev.value is None:
        # The confirmation re-asked the question ("Sorry, what number would you give it?").
        again = parse_answer(q, reply)
        return update(again.value, again.confident, again.other_text)
    if yes_no is True:
        if _has_value(fresh) and fresh.confident and fresh.value != prev.value and fresh.value != "other":
            return update(fresh.value, True, fresh.other_text)  # "yes, well, seven and a half"
        return update(prev.value, True, prev.other_text)
    if _has_value(fresh) and (q.allow_other or not _only_other(fresh.value)):
        if fresh.value == prev.value:
            return update(prev.value, True, prev.other_text)  # "no no, eight" when 8 was understood
        return update(fresh.value, fresh.confident or yes_no is False, fresh.other_text)  # "no, eight"
    if yes_no is False:
        return update(None, False)  # wrong, and no correction given: unknown
    return update(prev.value, False, prev.other_text)


def _context_answer(ledger: Ledger, entry: Entry) -> None:
    q = entry.question
    if not q.context_keys or entry.asked:
        return
    values = [lookup_any(ledger.context, key) for key in q.context_keys]
    if any(v is None for v in values):
        return
    text = ", ".join(v for v in values if v)
    parsed = parse_answer(q, text)
    if q.type != QuestionType.open_ended and not _has_value(parsed):
        return  # a context value that does not fit the question: ask it after all
    entry.context_answer = parsed


def lookup_any(context: dict[str, Any], key: str) -> str | None:
    """A context value for answering a question; private values count too (they are never spoken)."""
    value = lookup(context, key)
    if value is not None:
        return value
    raw = context.get(key)
    if raw is None or isinstance(raw, bool | dict | list):
        return None
    text = " ".join(str(raw).split())
    return text or None


def _cover_goals(ledger: Ledger) -> None:
    covered = ledger.covered
    for key in ledger.context:
        if str(key) in ledger.goals and lookup_any(ledger.context, str(key)):
            covered.setdefault(str(key), "context")
    for qid in ledger.order:
        entry = ledger.entries[qid]
        goals = ledger.goals_of(entry.question)
        if entry.context_answer is not None:
            for g in goals:
                covered.setdefault(g.id, "context")
        for x in entry.exchanges:
            if x.kind not in (ActionKind.ask, ActionKind.follow_up) or not x.reply:
                continue
            open_text = entry.question.type == QuestionType.open_ended or x.kind == ActionKind.follow_up
            for goal in ledger.goals.values() if open_text else ():  # option names are not evidence
                if goal.covered_by(x.reply):
                    covered.setdefault(goal.id, qid)
            if is_thin(x.reply) or dont_know(x.reply):
                continue
            if x.kind == ActionKind.ask and goals:
                covered.setdefault(goals[0].id, qid)  # a substantive answer covers the primary goal
            elif x.kind == ActionKind.follow_up:
                for g in goals:  # a substantive follow-up answer settles the question's goals
                    covered.setdefault(g.id, qid)
