"""Methodologies as data: the probe goals each one cares about and how it probes.

A methodology is a stance (one line the LLM policy hands the model), a set of
probe goals and the follow-ups it uses: one for vague answers, one asking for a
specific recent example when a respondent generalises ("we always...",
"usually..."). Each goal carries the follow-up that pursues it and cue words
that show an answer already covers it; the ledger (moderator/ledger.py) uses
the cues to record what is covered, so nothing already answered is asked again.

The code here is small and deterministic on purpose: cue matching is a word
list, not a model, and it only ever *removes* work (a goal counted as covered
is not probed for; an optional question whose goals are covered is skipped).
This module imports nothing from the rest of the package, so guide.py can use
it to validate probe goals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = [
    "EXAMPLE_PROBE",
    "GENERIC_PROBE",
    "Goal",
    "MethodologySpec",
    "METHODOLOGIES",
    "example_probe",
    "generalises",
    "get",
    "goals_for",
    "has_example",
    "declines",
    "dont_know",
    "is_refusal",
    "is_thin",
]

GENERIC_PROBE = "Could you tell me a bit more about that? A specific recent example would really help."
EXAMPLE_PROBE = "Could you tell me about the most recent time that actually happened?"


@lru_cache(maxsize=256)
def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str] | None:
    """Cue phrases as one regex: whole words, a trailing * matches any ending, spaces match any gap."""
    parts = []
    for cue in cues:
        cue = cue.strip().lower().replace("\u2019", "'")
        if not cue:
            continue
        star = cue.endswith("*")
        words = [re.escape(w) for w in cue.rstrip("*").split()]
        if not words:
            continue
        body = r"[\s-]+".join(words)
        lead = r"\b" if re.match(r"\w", cue) else ""
        tail = r"\w*" if star else (r"\b" if re.search(r"\w$", cue.rstrip("*")) else "")
        parts.append(lead + body + tail)
    return re.compile("|".join(parts), re.I) if parts else None


@dataclass(frozen=True)
class Goal:
    id: str
    label: str
    probe: str  # the follow-up that pursues this goal
    cues: tuple[str, ...] = ()
    probe_when_missing: bool = True  # False: tracked, but never probed for on its own

    def covered_by(self, text: str) -> bool:
        pattern = _cue_pattern(self.cues)
        return bool(pattern and text and pattern.search(text.replace("\u2019", "'")))


@dataclass(frozen=True)
class MethodologySpec:
    id: str
    name: str
    stance: str  # how this methodology interviews, in one line (for the LLM prompt and docs)
    goals: tuple[Goal, ...]
    vague_probe: str  # the follow-up on a vague answer when the guide has none left
    # Neutral follow-ups for further vague answers, once the vague probe has been used.
    more_probes: tuple[str, ...] = ()
    example_probe: str = 'You said "{quote}". Could you tell me about the last time that actually happened?'

    def goal_ids(self) -> list[str]:
        return [g.id for g in self.goals]

    def goal(self, goal_id: str) -> Goal | None:
        return next((g for g in self.goals if g.id == goal_id), None)


_SUCCESS_CUES = (
    "measure*", "metric*", "kpi*", "success", "percent", "%", "reduc*", "cut", "cutting", "save", "saving*",
    "faster", "increase*", "improv*", "roi", "by half", "a third", "a quarter", "time to fill", "target*",
    "numbers", "would know it worked", "know it's working",
)
_TRIGGER_CUES = (
    "started looking", "start looking", "began looking", "started to look", "started searching", "triggered",
    "the moment", "that's when", "that was when", "audit*", "regulat*", "compliance", "new rule*",
    "new requirement*", "new boss", "new manager", "new ceo", "new vp", "new director", "new hire", "funding",
    "we raised", "acquired", "acquisition", "we grew", "growing fast", "deadline", "outage", "incident",
    "last year", "last month", "last week", "last spring", "last summer", "last fall", "last autumn",
    "last winter", "last quarter", "ago",
)
_PAIN_CUES = (
    "pain*", "frustrat*", "annoy*", "waste*", "wasting", "lose", "losing", "lost", "slow*", "too long",
    "takes forever", "hours", "error*", "mistake*", "manual*", "typing", "retyp*", "re-enter*", "duplicat*",
    "headache*", "struggl*", "hard to", "difficult", "broken", "hate", "nightmare", "stress*",
)

CUSTOMER_DISCOVERY = MethodologySpec(
    id="customer_discovery",
    name="Customer Discovery",
    stance="ask about past behaviour and specific recent events, not opinions or hypothetical futures",
    vague_probe=GENERIC_PROBE,
    more_probes=("What happened the last time that came up?", "Why is that, would you say?"),
    goals=(
        Goal("trigger_event", "Trigger event", "What exactly happened that made you start looking, and when was that?",
             _TRIGGER_CUES),
        Goal("current_alternative", "Current alternative", "How do you handle that today?",
             ("spreadsheet*", "spread sheet*", "excel", "google sheets", "by hand", "manual*", "in-house",
              "in house", "homegrown", "home grown", "we use", "we're using", "we are using", "currently",
              "right now we", "today we", "a tool called", "competitor*", "vendor", "agency", "pen and paper",
              "whiteboard", "old system", "tracking system", "workaround*", "crm", "ats")),
        Goal("switching_cost", "Switching cost / inertia",
             "What would it take for you to switch away from that, in time, money or risk?",
             ("switch*", "migrat*", "move away", "moving away", "move off", "moving off", "contract*", "locked in",
              "lock-in", "retrain*", "training", "would take", "will take", "take months", "takes months",
              "weeks of work", "months of work", "integration*", "risk*", "cost us", "sunk cost", "inertia",
              "used to it")),
        Goal("primary_pain", "Primary pain", "What is the most painful part of that for you?", _PAIN_CUES),
        Goal("success_criteria", "Success criteria",
             "If this were solved, what would you measure, and what would good look like?", _SUCCESS_CUES),
        Goal("disqualifiers", "Disqualifying signals",
             "Is there anything that would make a tool like this a non-starter for you?",
             ("deal breaker*", "dealbreaker*", "non-starter", "non starter", "never buy", "wouldn't buy",
              "would not buy", "not a fit", "too expensive", "no budget", "can't afford", "cannot afford",
              "won't work", "wouldn't work", "must have", "must-have", "security review", "on-prem*", "on prem*",
              "not allowed", "procurement", "red flag*")),
        # Firmographics: recorded when they come up, never probed for on their own.
        Goal("industry", "Industry / sub-vertical", "What does your company do, and for whom?",
             ("industry", "sector", "vertical", "we sell", "we make", "we provide", "we build", "company that",
              "staffing", "saas", "healthcare", "retail", "logistics", "manufactur*", "agency", "consultancy"),
             probe_when_missing=False),
        Goal("company_size", "Company size", "Roughly how many people work at your company?",
             ("people", "employees", "staff", "headcount", "person company", "team of"), probe_when_missing=False),
        Goal("buying_committee", "Buying committee", "Who else is involved in choosing and paying for tools like this?",
             ("sign off", "sign-off", "approv*", "decision maker*", "decides", "budget holder", "cfo", "ceo", "coo",
              "head of", "procurement", "my boss", "leadership", "buying"), probe_when_missing=False),
        Goal("tech_stack", "Tech stack", "Which tools does this need to work with?",
             ("salesforce", "hubspot", "snowflake", "bigquery", "slack", "our stack", "tech stack", "integrat*",
              "erp", "crm"), probe_when_missing=False),
        Goal("geography", "Geography & language", "Where are you and your customers based?",
             ("based in", "country", "countries", "region", "europe", "north america", "asia", "headquarter*"),
             probe_when_missing=False),
        Goal("funding_stage", "Funding stage / growth", "How would you describe the company's stage right now?",
             ("series a", "series b", "series c", "series d", "seed", "bootstrap*", "funding", "raised", "revenue",
              "arr", "profitable", "public company"), probe_when_missing=False),
    ),
)

JOBS_TO_BE_DONE = MethodologySpec(
    id="jobs_to_be_done",
    name="Jobs to Be Done",
    stance="reconstruct the timeline of the switch: first thought, trigger event, search, decision; the push, "
    "pull, anxieties and habits; and how the respondent judges that the job is done well",
    vague_probe="Could you take me back to that moment? What was going on at the time?",
    more_probes=("What happened right after that?", "Why did that matter to you then?"),
    goals=(
        Goal("trigger_event", "The trigger", "What happened that made you start looking, and when was that?",
             _TRIGGER_CUES),
        Goal("push", "Push of the situation", "What was going wrong with the way you did it before?",
             ("frustrat*", "fed up", "annoy*", "problem*", "broke*", "wasn't working", "didn't work", "couldn't",
              "too slow", "too expensive", "pain*", "struggl*", "sick of", "tired of", "enough of", "kept failing")),
        Goal("pull", "Pull of the new solution", "What did you hope the new way would let you do?",
             ("liked", "attract*", "promis*", "hoped", "hoping", "excit*", "the idea", "sounded", "would let",
              "could finally", "appeal*", "easier", "recommend*", "drew me", "drew us", "won me over")),
        Goal("anxiety", "Anxieties about the new", "Was there anything that worried you about switching?",
             ("worr*", "afraid", "nervous", "risk*", "concern*", "unsure", "doubt*", "scared", "fear*", "hesitat*",
              "what if", "skeptic*", "sceptic*", "trust")),
        Goal("habit", "Habits of the present", "What kept you with the old way for as long as it did?",
             ("used to", "comfortable", "familiar", "always done", "habit*", "old way", "stick with", "stuck with",
              "stayed with", "inertia", "didn't want to change", "routine", "good enough", "worked fine")),
        Goal("success_measures", "The job's success measures",
             "How do you tell now whether it's working, and what do you look at?", _SUCCESS_CUES),
        Goal("job", "The job to be done", "What were you ultimately trying to get done?",
             ("trying to", "needed to", "need to", "get done", "so that", "in order to", "the goal", "the job"),
             probe_when_missing=False),
    ),
)

OPEN_EXPLORATION = MethodologySpec(
    id="open_exploration",
    name="Open Exploration",
    stance="follow the respondent's lead within the research goal; ask for stories, reasons and what gets in the way",
    vague_probe="Could you say a bit more about that?",
    more_probes=("What does that look like for you in practice?", "Why is that, would you say?"),
    goals=(
        Goal("context", "Context", "Could you give me a bit of background on how that fits into your work?",
             ("i work", "my role", "my job", "our team", "my team", "i'm a", "i am a", "responsible for",
              "in charge of", "i run", "i lead", "i manage"), probe_when_missing=False),
        Goal("story", "A concrete story", "Could you walk me through the last time that happened, step by step?",
             ("last week", "last month", "last year", "last time", "yesterday", "ago", "recently", "the other day",
              "one time", "for example", "for instance", "this morning", "earlier this")),
        Goal("motivation", "Motivation", "Why does that matter to you?",
             ("because", "so that", "matters", "important", "care about", "the reason", "in order to")),
        Goal("obstacles", "Obstacles", "What gets in the way?",
             ("hard", "difficult", "problem*", "struggl*", "frustrat*", "annoy*", "block*", "obstacle*",
              "get in the way", "gets in the way", "can't", "cannot", "slow*")),
        Goal("wishes", "Wishes and ideas", "If you could change one thing about it, what would it be?",
             ("wish", "would love", "i'd love", "ideally", "would be great", "if only", "magic wand", "change"),
             probe_when_missing=False),
    ),
)

METHODOLOGIES: dict[str, MethodologySpec] = {m.id: m for m in (CUSTOMER_DISCOVERY, JOBS_TO_BE_DONE, OPEN_EXPLORATION)}


def get(methodology: Any) -> MethodologySpec:
    """The spec for a Methodology (or its string value); Customer Discovery for anything unknown."""
    return METHODOLOGIES.get(getattr(methodology, "value", methodology), CUSTOMER_DISCOVERY)


def goals_for(guide: Any) -> dict[str, Goal]:
    """The methodology's goals plus the guide's own (`goals:` in the YAML), by id."""
    goals = {g.id: g for g in get(guide.methodology).goals}
    for g in getattr(guide, "goals", ()) or ():
        goals[g.id] = Goal(g.id, g.label or g.id.replace("_", " "), g.probe, tuple(g.cues), g.probe_when_missing)
    return goals


# -- answer signals ---------------------------------------------------------------

# Hedges that make an open answer worth a probe even when it is not short.
_VAGUE = re.compile(
    r"\b(not sure|don't know|do not know|dunno|i guess|maybe|kind of|sort of|"
    r"it depends|hard to say|no idea|whatever|nothing really)\b",
    re.IGNORECASE,
)
_NO = re.compile(r"^\W*(no|nope|nah|not really|i don't|i do not|i'd rather not|rather not)\b", re.I)
_YES = re.compile(r"\b(yes|yeah|yep|sure|okay|ok|fine|of course|go ahead|absolutely)\b", re.I)
# Declining to answer this one question ("I'd rather not say"): no probe, no confirmation.
_DECLINE = re.compile(
    r"\b(rather not|prefer not|skip (?:this|that|it)|pass on (?:this|that)|no comment|not comfortable|"
    r"(?:don't|do not) want to (?:say|answer|share)|next question)\b",
    re.I,
)
# Not knowing, said outright: a clear answer, so neither a confirmation nor another probe follows.
_DONT_KNOW = re.compile(
    r"\b(don't know|do not know|dunno|no idea|not sure|can't say|cannot say|hard to say|no clue|"
    r"can't remember|don't remember|nothing (?:else|more)|that's (?:it|all))\b",
    re.I,
)

SHORT_ANSWER_WORDS = 6


def is_thin(text: str) -> bool:
    """Very short or hedged: worth a follow-up on an open question."""
    words = re.findall(r"[\w']+", text or "")
    return len(words) < SHORT_ANSWER_WORDS or bool(_VAGUE.search(text))


def is_refusal(text: str) -> bool:
    return bool(_NO.search(text or "")) and not _YES.search(text or "")


def declines(text: str) -> bool:
    return bool(_DECLINE.search(text or ""))


def dont_know(text: str) -> bool:
    """'I don't know', 'no idea', 'nothing else': a short answer that more probing will not improve."""
    return bool(_DONT_KNOW.search(text or "")) and len(re.findall(r"[\w']+", text or "")) <= 12


# -- generalisation ---------------------------------------------------------------

_GENERAL = re.compile(
    r"\b(always|usually|typically|generally|normally|in general|most of the time|all the time|every time|"
    r"whenever|tend to|tends to|often|as a rule)\b",
    re.I,
)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_CONCRETE = re.compile(
    r"\b(last (?:week|month|year|quarter|time|spring|summer|fall|autumn|winter|" + _DAYS + r")|yesterday|"
    r"this (?:morning|week|month)|ago|recently|the other day|one time|for example|for instance|"
    r"earlier (?:this|today)|in (?:" + _MONTHS + r")|on (?:" + _DAYS + r")|(?:19|20)\d\d)\b",
    re.I,
)


def generalises(text: str) -> bool:
    """'We always...', 'usually...': a habit described in general, with no specific occasion."""
    return bool(text and _GENERAL.search(text)) and not has_example(text)


def has_example(text: str) -> bool:
    return bool(text and _CONCRETE.search(text))


MAX_QUOTE_WORDS = 12


def _quote(text: str) -> str | None:
    """A short stretch of the respondent's own words around the generalisation, or None."""
    for sentence in re.split(r"[.!?;]+", text):
        match = _GENERAL.search(sentence)
        if not match:
            continue
        clause = re.split(r",", sentence[: match.start()])[-1] + sentence[match.start() :].split(",")[0]
        words = re.findall(r"[\w'%-]+", clause)
        if not words:
            return None
        at = next((i for i, w in enumerate(words) if _GENERAL.match(w)), 0)
        words = words[max(0, at - 3) :]
        if len(words) > MAX_QUOTE_WORDS:
            return None  # a cut-off quote sounds careless; the plain probe is better
        if words[0].lower() != "i" and not (len(words[0]) > 1 and words[0].isupper()):
            words[0] = words[0].lower()
        return " ".join(words) if len(words) >= 2 else None
    return None


def example_probe(spec: MethodologySpec, text: str) -> str:
    """Ask for a specific recent occasion, quoting the respondent's words when a short quote exists."""
    quote = _quote(text)
    return spec.example_probe.format(quote=quote) if quote else EXAMPLE_PROBE
