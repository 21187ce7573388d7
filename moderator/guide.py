"""Interview guides: the researcher's plan for one study, loaded from YAML.

A guide names the study's research goal and the decision it informs, a
methodology, a time budget and ordered sections of questions. Everything here
is plain data validated with pydantic; the policies in this package decide what
to ask next from it. `parse_guide` turns YAML into a `Guide` or raises
`GuideError` naming the dotted field path and the YAML line of each problem.
"""

from __future__ import annotations

import difflib
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from moderator import methodologies

BUNDLED_GUIDES = Path(__file__).parent / "guides"

# `{name}` or `{company|your company}` in any text the moderator speaks.
PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][\w.-]*)\s*(?:\|([^{}]*))?\}")


class QuestionType(StrEnum):
    open_ended = "open_ended"
    scale = "scale"
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    ranking = "ranking"
    yes_no = "yes_no"


CHOICE_TYPES = (QuestionType.single_choice, QuestionType.multiple_choice, QuestionType.ranking)


class Methodology(StrEnum):
    customer_discovery = "customer_discovery"
    jobs_to_be_done = "jobs_to_be_done"
    open_exploration = "open_exploration"


_METHOD_ALIASES = {"jtbd": "jobs_to_be_done", "discovery": "customer_discovery", "exploration": "open_exploration"}


class GuideProblem(ValueError):
    """A validation problem at `loc` below the model that raised it (pydantic keeps the
    exception in the error's ctx, so `parse_guide` can point at the exact field)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoalDef(_Strict):
    """A study-specific probe goal, on top of the methodology's own."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = ""
    # The follow-up asked when a question serving this goal leaves it uncovered.
    probe: str = Field(min_length=1)
    # Words or phrases (a trailing * matches any ending) that show an answer covers the goal.
    cues: list[str] = Field(default_factory=list)
    # False: tracked in the ledger, never probed for on its own.
    probe_when_missing: bool = True


def _has_words_outside_placeholders(text: str) -> bool:
    return bool(re.search(r"[^\W_]", PLACEHOLDER.sub("", text)))


class Question(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    text: str = Field(min_length=1)
    type: QuestionType = QuestionType.open_ended
    options: list[str] = Field(default_factory=list, validate_default=True)
    allow_other: bool = False
    min: int | None = None
    max: int | None = None
    labels: dict[int, str] = Field(default_factory=dict)
    required: bool = True
    # How many follow-up probes this question may get: 0 (also written `none`) to 3.
    follow_up_depth: int = Field(default=1, ge=0, le=3)
    # Researcher-written follow-ups, used in order before the methodology's probes.
    probes: list[str] = Field(default_factory=list)
    # Methodology goals this question serves (trigger_event, current_alternative, ...); the first is
    # its primary goal, which any substantive answer covers.
    probe_goals: list[str] = Field(default_factory=list)
    # Link-context fields that answer this question: when every one is present, it is not asked.
    context_keys: list[str] = Field(default_factory=list)
    # Skip the question when earlier answers already covered all its probe goals.
    # Default (None): yes for optional questions, no for required ones.
    skip_when_covered: bool | None = None
    # The closing question ("anything else?"): always asked, even when time is up.
    wrap_up: bool = False
    # A "no" here ends the interview politely (consent questions).
    end_on_no: bool = False

    @field_validator("follow_up_depth", mode="before")
    @classmethod
    def _depth_words(cls, value: Any) -> Any:
        if value is None or value is False or (isinstance(value, str) and value.strip().lower() in ("none", "no")):
            return 0
        return value

    @field_validator("text")
    @classmethod
    def _text_has_words(cls, value: str) -> str:
        if not _has_words_outside_placeholders(value):
            raise ValueError("text needs words besides {placeholders}")
        return value

    @field_validator("options")
    @classmethod
    def _options_fit_type(cls, options: list[str], info: Any) -> list[str]:
        kind = info.data.get("type")
        if kind in CHOICE_TYPES:
            if len(options) < 2:
                raise ValueError(f"type {kind.value} needs at least 2 options")
            folded = [" ".join(o.lower().split()) for o in options]
            dupes = sorted({o for o in folded if folded.count(o) > 1})
            if dupes:
                raise ValueError(f"duplicate options: {dupes}")
            if any(not o.strip() for o in options):
                raise ValueError("options must not be empty")
        elif options and kind is not None:
            raise ValueError(f"type {kind.value} takes no options; use single_choice, multiple_choice or ranking")
        return options

    @model_validator(mode="after")
    def _check_scale(self) -> Question:
        if self.type == QuestionType.scale:
            lo = 1 if self.min is None else self.min
            hi = 10 if self.max is None else self.max
            if hi <= lo:
                raise GuideProblem(("max",), f"scale max ({hi}) must be greater than min ({lo})")
            self.min, self.max = lo, hi
            for key in self.labels:
                if not lo <= key <= hi:
                    raise GuideProblem(("labels", key), f"label {key} is outside the scale {lo} to {hi}")
        elif self.labels:
            raise GuideProblem(("labels",), "only scale questions take labels")
        if self.wrap_up and self.end_on_no:
            raise GuideProblem(("end_on_no",), "a wrap-up question cannot end the interview on no")
        return self

    @property
    def skips_when_covered(self) -> bool:
        return (not self.required) if self.skip_when_covered is None else self.skip_when_covered


class Section(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str = ""
    questions: list[Question] = Field(min_length=1)


class Guide(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str = Field(min_length=1)
    methodology: Methodology = Methodology.customer_discovery
    research_goal: str = ""
    decision: str = ""
    # The length promised to the respondent; probes and optional questions are trimmed to fit it.
    target_minutes: float = Field(default=15, gt=0, le=120)
    # Past this, only the wrap-up is left (default: 1.5 x target_minutes).
    max_minutes: float | None = Field(default=None, gt=0, le=180)
    intro: str = ""
    closing: str = "That's everything I wanted to ask. Thank you very much for your time."
    # Study-specific probe goals, usable in probe_goals next to the methodology's.
    goals: list[GoalDef] = Field(default_factory=list)
    sections: list[Section] = Field(min_length=1)

    @field_validator("methodology", mode="before")
    @classmethod
    def _method_alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            key = re.sub(r"[\s-]+", "_", value.strip().lower())
            return _METHOD_ALIASES.get(key, key)
        return value

    @model_validator(mode="after")
    def _check_guide(self) -> Guide:
        if self.max_minutes is not None and self.max_minutes < self.target_minutes:
            raise GuideProblem(("max_minutes",), "max_minutes must not be less than target_minutes")
        known = set(methodologies.get(self.methodology.value).goal_ids())
        custom: set[str] = set()
        for i, goal in enumerate(self.goals):
            if goal.id in custom:
                raise GuideProblem(("goals", i, "id"), f"duplicate goal id {goal.id!r}")
            custom.add(goal.id)
        known |= custom
        seen: set[str] = set()
        wrap_up_seen = False
        for si, section in enumerate(self.sections):
            for qi, q in enumerate(section.questions):
                here = ("sections", si, "questions", qi)
                if q.id in seen:
                    raise GuideProblem((*here, "id"), f"duplicate question id {q.id!r}")
                seen.add(q.id)
                for gi, goal in enumerate(q.probe_goals):
                    if goal not in known:
                        hint = difflib.get_close_matches(goal, sorted(known), n=1)
                        extra = f"; did you mean {hint[0]!r}?" if hint else ""
                        raise GuideProblem(
                            (*here, "probe_goals", gi),
                            f"unknown probe goal {goal!r} for {self.methodology.value}{extra} "
                            f"(known: {', '.join(sorted(known))}; add study goals under `goals:`)",
                        )
                if wrap_up_seen and not q.wrap_up:
                    raise GuideProblem((*here, "wrap_up"), "wrap-up questions must come last")
                wrap_up_seen = wrap_up_seen or q.wrap_up
        return self

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def find(self, question_id: str | None) -> Question | None:
        """The question with this id, or None (never raises)."""
        if not question_id:
            return None
        return next((q for q in self.questions if q.id == question_id), None)

    def wrap_up_ids(self) -> set[str]:
        """Questions flagged `wrap_up`, or else a trailing question or section named wrap_up."""
        flagged = {q.id for q in self.questions if q.wrap_up}
        if flagged:
            return flagged
        last = self.sections[-1]
        if last.id in ("wrap_up", "wrap-up", "wrapup"):
            return {q.id for q in last.questions}
        tail = self.questions[-1]
        return {tail.id} if tail.id in ("wrap_up", "wrap-up", "wrapup") else set()

    @property
    def hard_stop_minutes(self) -> float:
        return self.max_minutes if self.max_minutes is not None else self.target_minutes * 1.5


class GuideError(ValueError):
    """A guide that does not load; the message names the field path and the YAML line."""


# -- YAML with line numbers ------------------------------------------------------


def _walk(node: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[yaml.Node | None, tuple[Any, ...]]:
    """The deepest YAML node along `loc`, and the part of `loc` that was found."""
    found: list[Any] = []
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key, value in node.value:
                if str(key.value) == str(part):
                    nxt = value
                    break
            if nxt is None:
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            break
        found.append(part)
    return node, tuple(found)


def _key_node(root: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """For an unknown field, the key itself (its line is the one to fix)."""
    parent, found = _walk(root, loc[:-1])
    if found != loc[:-1] or not isinstance(parent, yaml.MappingNode):
        return None
    return next((k for k, _ in parent.value if str(k.value) == str(loc[-1])), None)


def _duplicate_keys(node: yaml.Node | None, path: tuple[Any, ...] = ()) -> tuple[tuple[Any, ...], int] | None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                return (*path, name), key.start_mark.line + 1
            seen.add(name)
            found = _duplicate_keys(value, (*path, name))
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate_keys(item, (*path, i))
            if found:
                return found
    return None


def _describe(loc: tuple[Any, ...], data: Any) -> str:
    """'sections.1.questions.0.options', plus the question id when the path goes through one."""
    path = ".".join(str(p) for p in loc) or "(guide)"
    if len(loc) >= 4 and loc[0] == "sections" and loc[2] == "questions":
        try:
            qid = data["sections"][loc[1]]["questions"][loc[3]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            qid = None
        if isinstance(qid, str):
            path += f" (question {qid!r})"
    return path


_FIELDS: dict[str, list[str]] = {}


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    if not _FIELDS:
        _FIELDS.update(
            guide=list(Guide.model_fields),
            section=list(Section.model_fields),
            question=list(Question.model_fields),
            goal=list(GoalDef.model_fields),
        )
    if len(loc) == 1:
        return _FIELDS["guide"]
    if loc[0] == "goals":
        return _FIELDS["goal"]
    return _FIELDS["question"] if "questions" in loc else _FIELDS["section"]


def _message(error: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    problem = (error.get("ctx") or {}).get("error")
    if isinstance(problem, GuideProblem):
        return (*loc, *problem.loc), str(problem)
    msg = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden" and loc:
        hint = difflib.get_close_matches(str(loc[-1]), _known_fields(loc), n=1)
        msg = f"unknown field {loc[-1]!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
    elif error["type"] == "missing":
        msg = "required field is missing"
    return loc, msg


def parse_guide(text: str, source: str = "<guide>") -> Guide:
    """Validate guide YAML. GuideError's message names each problem's dotted path and `line N`."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
            problem += f" ({context} that starts on line {context_mark.line + 1})"
        raise GuideError(f"{source}: not valid YAML:{where} {problem}") from exc
    if not isinstance(data, dict):
        raise GuideError(f"{source}: line 1: a guide must be a YAML mapping (id, title, sections, ...)")
    duplicate = _duplicate_keys(root)
    if duplicate:
        loc, line = duplicate
        raise GuideError(f"{source}: {_describe(loc, data)} (line {line}): key given twice")
    try:
        return Guide.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            loc, msg = _message(error)
            node = _key_node(root, loc) if error["type"] == "extra_forbidden" else None
            if node is None:
                node, _ = _walk(root, loc)
            line = (node.start_mark.line + 1) if node is not None else 1
            problems.append(f"{_describe(loc, data)} (line {line}): {msg}")
        more = len(exc.errors()) - len(problems)
        tail = f"\n{source}: ... and {more} more" if more > 0 else ""
        # One problem per line, compiler style: "file: path (question 'id') (line N): message".
        raise GuideError("\n".join(f"{source}: {p}" for p in problems) + tail) from exc


def load_guide(path: str | Path) -> Guide:
    path = Path(path)
    return parse_guide(path.read_text(encoding="utf-8"), source=str(path))


def bundled_guide(name: str) -> Guide:
    return load_guide(BUNDLED_GUIDES / f"{name}.yaml")


def bundled_guide_names() -> list[str]:
    return sorted(p.stem for p in BUNDLED_GUIDES.glob("*.yaml"))
