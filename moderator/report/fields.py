"""The twelve ICP one-pager fields, and what each probe goal is about.

Each field lists the probe-goal ids that feed it (the guide's `probe_goals`),
the link-context keys that carry it, and a `query`: a description written the
way a respondent would answer, which sentence embeddings compare evidence with.
Goals that are not ICP fields (Jobs-to-be-Done's push/pull, a study's own
goals) get a query from their label.
"""

from __future__ import annotations

from dataclasses import dataclass

_NUMBER = (r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
           r"fifty|sixty|hundred|thousand|dozen|handful)\b|\b(?:small|tiny|large|big|mid-?size\w*|startup|"
           r"enterprise|solo|just me)\b")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    goals: tuple[str, ...]
    context_keys: tuple[str, ...]
    query: str
    # Firmographic fields are read from clauses ("with about 30 people") and need `requires` to match;
    # the others from whole answer sentences.
    firmographic: bool = False
    requires: str | None = None
    min_sim: float = 0.3  # for firmographic clauses


ICP_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("industry", "Industry / sub-vertical", ("industry",), ("industry", "vertical", "sector", "segment"),
              "we are a company in this industry, our business is a kind of agency, firm, practice or store",
              True),
    FieldSpec("company_size", "Company size", ("company_size",),
              ("company_size", "size", "employees", "headcount", "arr", "revenue"),
              "we have about this many employees, people or staff working at the company", True, _NUMBER,
              0.2),
    FieldSpec("growth_signal", "Funding stage / growth signal", ("growth_signal", "funding_stage"),
              ("funding_stage", "stage", "funding", "growth"),
              "we raised funding, we are growing fast, hiring, our revenue and stage of the company", True,
              r"(?i)fund|raised|series [a-e]|seed|grow|hiring|revenue|arr\b|expan|profitab|stage|ipo|acqui"),
    FieldSpec("geography", "Geography & language", ("geography",),
              ("geography", "country", "region", "city", "state", "language", "market"),
              "we are based in this city, state, country or region, where our office is", True,
              r"\b(?:[Bb]ased|[Ll]ocated|[Hh]eadquartered|[Oo]ffices?|in|from|across)\s+(?:the\s+)?[A-Z]", 0.2),
    FieldSpec("tech_stack", "Tech stack", ("tech_stack",), ("tech_stack", "stack", "crm", "ats", "tools"),
              "the software, systems and tools we use, our CRM, database and integrations", True),
    FieldSpec("buying_committee", "Buying committee", ("buying_committee",), ("buying_committee", "buyer", "role"),
              "who decides and signs off on buying software, who approves the budget, who uses it", True),
    FieldSpec("trigger_event", "Trigger event", ("trigger_event", "trigger"), (),
              "what happened that made us start looking for a solution, the event that triggered the search"),
    FieldSpec("primary_pain", "Primary pain", ("primary_pain", "pain", "push"), (),
              "the most painful, frustrating problem for us, what takes too long, wastes time or costs too much"),
    FieldSpec("current_alternative", "Current alternative", ("current_alternative", "alternative"), (),
              "how we handle it today, the tool, spreadsheet, system or manual process we use now"),
    FieldSpec("switching_cost", "Switching cost / inertia", ("switching_cost", "habit", "anxiety"), (),
              "what makes switching hard for us, migrating data, contracts, retraining people, the risk"),
    FieldSpec("success_criteria", "Success criteria", ("success_criteria", "success_measures"), (),
              "how we would measure success, the metric or number that would show it works"),
    FieldSpec("disqualifiers", "Disqualifiers", ("disqualifiers",), (),
              "it would be a bad fit or a deal breaker for us, too expensive, no budget, missing integration"),
)

FIELD_BY_KEY = {f.key: f for f in ICP_FIELDS}


def field_for_goal(goal: str) -> FieldSpec | None:
    return next((f for f in ICP_FIELDS if goal in f.goals), None)


def goal_query(goal: str, label: str | None = None) -> str:
    """The text a goal's evidence is compared with."""
    spec = field_for_goal(goal)
    if spec is not None:
        return spec.query
    return (label or goal.replace("_", " ")).strip()


def goal_labels() -> dict[str, str]:
    """Goal id -> label from the methodologies module when it is there (it is optional here)."""
    try:
        from moderator import methodologies  # noqa: PLC0415 - optional, keeps this module independent
    except ImportError:
        return {}
    labels: dict[str, str] = {}
    for spec in getattr(methodologies, "METHODOLOGIES", {}).values():
        for goal in getattr(spec, "goals", ()):
            labels.setdefault(goal.id, goal.label)
    return labels
