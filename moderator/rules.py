"""Rule-based moderator: the guide in order, with the methodology's probes, confirmations and a time plan.

This is the policy that runs with no LLM configured, and the fallback the LLM
policy uses whenever a live call fails, so it must always return something
sensible and never raise on odd input. Every decision reads the ledger
(moderator/ledger.py), in this order:

1. The opening: the guide's intro and the first question the context does not answer.
2. A consent question (`end_on_no`): a refusal ends with reason "declined"; an
   unclear answer is confirmed; no clear yes after that ends the interview too.
3. A structured answer the parser is unsure of gets one short confirmation
   ("So that's a 7 out of 10?"); if the respondent says it was wrong without
   giving the right value, the question is re-asked once. Out of time, the unsure
   value is kept (confident=False) instead.
4. An open answer gets a follow-up, up to the question's `follow_up_depth` and
   while the time plan has room: a vague or short answer gets the guide's next
   probe (then one for an uncovered goal, then the methodology's); a
   generalisation ("we always...") gets a request for a specific recent
   example; on questions with depth 2 or more, a goal the question serves and
   nobody has covered yet gets that goal's probe. Nothing is ever said twice,
   and "I don't know" to a probe ends the probing.
5. Otherwise the next question of the plan (skipping what the context or earlier
   answers covered, and optional questions when time is short), and the closing
   once none is left. The wrap-up question is always reached.
"""

from __future__ import annotations

import logging
import re

from moderator import methodologies
from moderator.answers import ParsedAnswer, confirmation_prompt, parse_answer
from moderator.context import redact, speakable
from moderator.guide import CHOICE_TYPES, Question, QuestionType
from moderator.ledger import MAX_CONFIRMS, Budget, Entry, Ledger, build_ledger
from moderator.methodologies import (
    GENERIC_PROBE,
    MethodologySpec,
    declines,
    dont_know,
    example_probe,
    generalises,
    is_refusal,
    is_thin,
)
from moderator.policy import Action, ActionKind, InterviewState

__all__ = ["DECLINED", "GENERIC_PROBE", "RulePolicy", "is_refusal", "is_thin", "spoken_question"]

log = logging.getLogger(__name__)

DECLINED = "No problem at all. We will stop here and nothing more will be recorded. Thank you, goodbye."
SHORT_ANSWER_WORDS = methodologies.SHORT_ANSWER_WORDS
CONSENT_AGAIN = "Sorry, I need a clear yes or no: is it okay with you that this conversation is recorded?"
_HIDDEN = "zzprivatezz"  # stands in for a private value while a quote is taken


def _spoken_value(parsed: ParsedAnswer | None) -> str:
    if parsed is None or parsed.value is None:
        return "that"
    value = parsed.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none of them"
    return str(value)


def _names(items: list[str], last: str = "or") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def spoken_question(question: Question, context: dict | None) -> str:
    """The question as said aloud: templates filled, and a choice's options or a scale's range
    added when the researcher's text does not already say them (a voice respondent cannot see them)."""
    text = " ".join(speakable(question.text, context).split())
    lowered = text.lower()
    if question.type in CHOICE_TYPES:
        said = sum(1 for o in question.options if o.lower() in lowered)
        if said * 2 < len(question.options):
            joiner = "or" if question.type == QuestionType.single_choice else "and"
            text = f"{text} The options are {_names(question.options, joiner)}."
    elif question.type == QuestionType.scale:
        numbers = set(re.findall(r"\d+", text))
        if str(question.min) not in numbers and str(question.max) not in numbers:
            text = f"{text} From {question.min} to {question.max}."
    return text


class RulePolicy:
    """Walks the guide. `max_follow_ups` caps every question's depth (None: each question's own
    `follow_up_depth`, up to 3; the spine's rule was 1)."""

    def __init__(self, max_follow_ups: int | None = None) -> None:
        self.max_follow_ups = max_follow_ups

    async def next_action(self, state: InterviewState) -> Action:
        return self.decide(state)

    def decide(self, state: InterviewState) -> Action:
        try:
            action = self._decide(state)
        except Exception:  # a moderator bug must not silence the interview
            log.exception("rule policy failed; closing the interview")
            action = Action(kind=ActionKind.end, text=state.guide.closing, reason="error")
        text = speakable(action.text, state.context)
        return action if text == action.text else action.model_copy(update={"text": text})

    # -- the decision -------------------------------------------------------------

    def _decide(self, state: InterviewState) -> Action:
        guide = state.guide
        ledger = build_ledger(state)
        budget = ledger.budget()
        if ledger.moderator_turns == 0:
            first = ledger.next_question(budget)
            if first is None:
                return Action(kind=ActionKind.end, text=f"{guide.intro.strip()} {guide.closing.strip()}".strip())
            return self._ask(first, state, intro=guide.intro)
        if ledger.ended:
            return Action(kind=ActionKind.end, text=guide.closing)
        entry = ledger.current
        if entry is not None:
            action = self._after_answer(state, ledger, entry, budget)
            if action is not None:
                return action
        nxt = ledger.next_question(budget)
        if nxt is None:
            return Action(kind=ActionKind.end, text=guide.closing)
        return self._ask(nxt, state)

    def _after_answer(self, state: InterviewState, ledger: Ledger, entry: Entry, budget: Budget) -> Action | None:
        q, reply = entry.question, ledger.reply
        if q.end_on_no:
            return self._consent(q, entry, reply)
        if q.type != QuestionType.open_ended:
            confirm = self._confirmation(q, ledger, entry, reply, budget)
            if confirm is not None or entry.declined:
                return confirm
            return self._structured_probe(state, ledger, entry, budget)
        return self._probe(state, ledger, entry, budget)

    def _consent(self, q: Question, entry: Entry, reply: str) -> Action | None:
        answer = entry.answer
        declined = Action(kind=ActionKind.end, text=DECLINED, question_id=q.id, reason="declined")
        if is_refusal(reply) or (answer is not None and answer.value is False and answer.confident):
            return declined
        if answer is not None and answer.value is True and answer.confident:
            return None
        if entry.confirms < MAX_CONFIRMS:
            text = confirmation_prompt(q, answer or parse_answer(q, reply)) if entry.confirms == 0 else CONSENT_AGAIN
            return Action(kind=ActionKind.confirm, text=text, question_id=q.id)
        return declined  # no clear yes to recording: no interview

    @staticmethod
    def _confirmation(q: Question, ledger: Ledger, entry: Entry, reply: str, budget: Budget) -> Action | None:
        answer = entry.answer
        if answer is None or answer.confident or entry.declined or not budget.allows_confirm():
            return None  # no time left in the plan: keep the unsure value (confident=False) and move on
        if entry.confirms == 0:
            if answer.value is None and dont_know(reply):
                return None  # "I don't know" is an answer; asking again would only press
            return Action(kind=ActionKind.confirm, text=confirmation_prompt(q, answer), question_id=q.id)
        last = entry.last
        if (
            entry.confirms < MAX_CONFIRMS
            and budget.allows_probe(1)
            and answer.value is None
            and last is not None
            and last.kind == ActionKind.confirm
            and not dont_know(reply)
            and not declines(reply)
        ):
            text = confirmation_prompt(q, answer)
            if not ledger.has_said(text):  # the same re-ask twice would only annoy: move on
                return Action(kind=ActionKind.confirm, text=text, question_id=q.id)
        return None

    def _depth(self, q: Question) -> int:
        return q.follow_up_depth if self.max_follow_ups is None else min(q.follow_up_depth, self.max_follow_ups)

    def _structured_probe(self, state: InterviewState, ledger: Ledger, entry: Entry, budget: Budget) -> Action | None:
        """Structured questions get only the researcher's own probes ("What's the main reason for that score?")."""
        q = entry.question
        used = entry.follow_ups
        if used >= self._depth(q) or not budget.allows_probe(used + 1) or not q.probes:
            return None
        if entry.answer is None or entry.answer.value is None:
            return None
        context = {**(state.context or {}), "answer": _spoken_value(entry.answer)}
        for probe in q.probes:
            text = speakable(probe, context)
            if not ledger.has_said(text):
                return Action(kind=ActionKind.follow_up, text=text, question_id=q.id)
        return None

    def _probe(self, state: InterviewState, ledger: Ledger, entry: Entry, budget: Budget) -> Action | None:
        q, reply = entry.question, ledger.reply
        depth, used = self._depth(q), entry.follow_ups
        if used >= depth or not budget.allows_probe(used + 1) or entry.declined or declines(reply):
            return None
        if ledger.last_kind == ActionKind.follow_up and (dont_know(reply) or (is_refusal(reply) and is_thin(reply))):
            return None  # "I don't know" / "no" to a probe: another probe will not help
        spec = methodologies.get(state.guide.methodology)
        text = self._choose_probe(state, ledger, entry, spec, reply, depth)
        return Action(kind=ActionKind.follow_up, text=text, question_id=q.id) if text else None

    @staticmethod
    def _choose_probe(
        state: InterviewState, ledger: Ledger, entry: Entry, spec: MethodologySpec, reply: str, depth: int
    ) -> str | None:
        q = entry.question

        def fresh(text: str) -> str | None:
            text = speakable(text, state.context)
            return None if ledger.has_said(text) else text

        goal_probes = [g.probe for g in ledger.uncovered_goals(q) if g.probe_when_missing]
        if is_thin(reply):
            for candidate in [*q.probes, *goal_probes, spec.vague_probe, *spec.more_probes]:
                if text := fresh(candidate):
                    return text
            return None
        examples = ("You said", methodologies.EXAMPLE_PROBE)
        asked_example = any(x.kind == ActionKind.follow_up and x.prompt.startswith(examples) for x in entry.exchanges)
        if generalises(reply) and not asked_example:
            # Quote the respondent's words only when no private value would be in the quote.
            probe = example_probe(spec, redact(reply, state.context, _HIDDEN))
            if text := fresh(methodologies.EXAMPLE_PROBE if _HIDDEN in probe else probe):
                return text
        if depth >= 2:
            for candidate in goal_probes:
                if text := fresh(candidate):
                    return text
        return None

    @staticmethod
    def _ask(question: Question, state: InterviewState, intro: str = "") -> Action:
        intro = speakable(intro, state.context) if intro.strip() else ""
        text = f"{intro.strip()} {spoken_question(question, state.context)}".strip()
        return Action(kind=ActionKind.ask, text=text, question_id=question.id)
