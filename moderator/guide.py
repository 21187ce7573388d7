"""Interview guides: the researcher's plan for one study, loaded from YAML.

A guide names a methodology, a research goal and ordered sections of questions.
Everything here is plain data validated with pydantic; the policies in this
package decide what to ask next from it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

BUNDLED_GUIDES = Path(__file__).parent / "guides"


class QuestionType(StrEnum):
    open_ended = "open_ended"
    scale = "scale"
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    ranking = "ranking"
    yes_no = "yes_no"


class Methodology(StrEnum):
    customer_discovery = "customer_discovery"
    jobs_to_be_done = "jobs_to_be_done"
    open_exploration = "open_exploration"


class Question(BaseModel):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    text: str = Field(min_length=1)
    type: QuestionType = QuestionType.open_ended
    options: list[str] = Field(default_factory=list)
    allow_other: bool = False
    min: int | None = None
    max: int | None = None
    labels: dict[int, str] = Field(default_factory=dict)
    required: bool = True
    # How many follow-up probes this question may get (0 = none).
    follow_up_depth: int = Field(default=1, ge=0, le=3)
    # Researcher-written follow-ups, used in order before the generic probe.
    probes: list[str] = Field(default_factory=list)
    # Methodology goals this question serves (trigger_event, current_alternative, ...).
    probe_goals: list[str] = Field(default_factory=list)
    # A "no" here ends the interview politely (consent questions).
    end_on_no: bool = False

    @model_validator(mode="after")
    def _check_type_fields(self) -> Question:
        if self.type in (
            QuestionType.single_choice,
            QuestionType.multiple_choice,
            QuestionType.ranking,
        ) and len(self.options) < 2:
            raise ValueError(f"question {self.id!r}: type {self.type.value} needs at least 2 options")
        if self.type == QuestionType.scale:
            lo = 1 if self.min is None else self.min
            hi = 10 if self.max is None else self.max
            if hi <= lo:
                raise ValueError(f"question {self.id!r}: scale max must be greater than min")
            self.min, self.max = lo, hi
        return self


class Section(BaseModel):
    id: str
    title: str = ""
    questions: list[Question] = Field(min_length=1)


class Guide(BaseModel):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str
    methodology: Methodology = Methodology.customer_discovery
    research_goal: str = ""
    decision: str = ""
    target_minutes: float = Field(default=15, gt=0, le=120)
    intro: str = ""
    closing: str = "That's everything I wanted to ask. Thank you very much for your time."
    sections: list[Section] = Field(min_length=1)

    @field_validator("sections")
    @classmethod
    def _unique_ids(cls, sections: list[Section]) -> list[Section]:
        seen: set[str] = set()
        for section in sections:
            for q in section.questions:
                if q.id in seen:
                    raise ValueError(f"duplicate question id {q.id!r}")
                seen.add(q.id)
        return sections

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


class GuideError(ValueError):
    """A guide that does not load; the message names the field and, when known, the line."""


def parse_guide(text: str, source: str = "<guide>") -> Guide:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise GuideError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise GuideError(f"{source}: a guide must be a YAML mapping")
    try:
        return Guide.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(guide)"
        raise GuideError(f"{source}: {where}: {first['msg']}") from exc


def load_guide(path: str | Path) -> Guide:
    path = Path(path)
    return parse_guide(path.read_text(encoding="utf-8"), source=str(path))


def bundled_guide(name: str) -> Guide:
    return load_guide(BUNDLED_GUIDES / f"{name}.yaml")
