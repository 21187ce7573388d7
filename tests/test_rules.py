import pytest

from moderator.guide import GuideError, bundled_guide, parse_guide
from moderator.policy import ActionKind, InterviewState, Turn
from moderator.rules import GENERIC_PROBE, RulePolicy, is_refusal, is_thin


def converse(answers: list[str]):
    """Scripted conversation: feed answers, collect the moderator's actions."""
    guide = bundled_guide("icp_validation")
    state = InterviewState(guide=guide)
    policy = RulePolicy()
    actions = []
    for answer in [*answers, None]:
        action = policy.decide(state)
        actions.append(action)
        state.turns.append(Turn(speaker="moderator", text=action.text, question_id=action.question_id,
                                kind=action.kind))
        if action.kind == ActionKind.end or answer is None:
            break
        state.turns.append(Turn(speaker="respondent", text=answer, question_id=action.question_id))
    return actions


FULL = "We started looking after a failed audit last spring, when the regulator visited us."


def test_guide_order_and_no_probe_on_complete_answers():
    actions = converse(["Yes, that's fine."] + [FULL] * 5 + ["No."])
    assert [a.question_id for a in actions] == [
        "consent", "role", "trigger", "alternative", "pain", "success", "wrap_up", None,
    ]
    assert [a.kind for a in actions][:-1] == [ActionKind.ask] * 7
    assert actions[-1].kind == ActionKind.end
    assert actions[0].text.startswith("Hi, and thanks")  # the intro leads the first question


def test_one_probe_on_a_thin_answer_then_move_on():
    actions = converse(["Yes.", FULL, "Not sure.", "I guess we just noticed.", FULL, FULL, FULL, "No."])
    kinds = [(a.kind, a.question_id) for a in actions]
    assert kinds[2:5] == [
        (ActionKind.ask, "trigger"),
        (ActionKind.follow_up, "trigger"),
        (ActionKind.ask, "alternative"),  # still vague, but the spine's depth is one probe
    ]
    assert actions[3].text == bundled_guide("icp_validation").question("trigger").probes[0]
    assert len({(a.kind, a.text) for a in actions}) == len(actions)  # nothing asked twice


def test_generic_probe_when_the_guide_has_none():
    guide = parse_guide("""
id: g
title: t
sections:
  - id: s
    questions:
      - {id: q1, text: "What do you use today?"}
      - {id: q2, text: "Why?"}
""")
    state = InterviewState(guide=guide, turns=[
        Turn(speaker="moderator", text="What do you use today?", question_id="q1", kind=ActionKind.ask),
        Turn(speaker="respondent", text="Excel.", question_id="q1"),
    ])
    action = RulePolicy().decide(state)
    assert (action.kind, action.text) == (ActionKind.follow_up, GENERIC_PROBE)


def test_refused_consent_ends_politely():
    actions = converse(["No, I'd rather not."])
    assert actions[-1].kind == ActionKind.end and actions[-1].reason == "declined"
    assert len(actions) == 2


def test_over_budget_skips_probes():
    guide = bundled_guide("icp_validation")
    state = InterviewState(guide=guide, elapsed_s=guide.target_minutes * 60 + 1, turns=[
        Turn(speaker="moderator", text="q", question_id="trigger", kind=ActionKind.ask),
        Turn(speaker="respondent", text="Dunno.", question_id="trigger"),
    ])
    assert RulePolicy().decide(state).question_id == "alternative"


@pytest.mark.parametrize(("text", "thin"), [
    ("Spreadsheets.", True), ("Maybe, it depends on the week really, hard to say.", True),
    ("We keep everything in shared spreadsheets and an old tracking system.", False),
])
def test_thin_answers(text, thin):
    assert is_thin(text) is thin


@pytest.mark.parametrize(("text", "refused"), [
    ("No.", True), ("Nope, not today", True), ("I'd rather not", True), ("Yes, that's fine", False),
    ("No problem, go ahead", False), ("Sure", False),
])
def test_refusals(text, refused):
    assert is_refusal(text) is refused


@pytest.mark.parametrize(("yaml_text", "where"), [
    ("id: g\ntitle: t\nsections: []\n", "sections"),
    ("id: g\ntitle: t\nsections:\n  - id: s\n    questions:\n      - {id: q, text: Pick, type: single_choice}\n",
     "sections.0.questions.0"),
    ("id: g\ntitle: t\nsections:\n  - id: s\n    questions:\n      - {id: q, text: x, type: dance}\n", "type"),
    ("id: g\ntitle: [unclosed\n", "not valid YAML"),
])
def test_invalid_guides_name_the_problem(yaml_text, where):
    with pytest.raises(GuideError, match=where):
        parse_guide(yaml_text)
