import pytest

from moderator.guide import GuideError, bundled_guide, parse_guide
from moderator.methodologies import EXAMPLE_PROBE
from moderator.policy import ActionKind, InterviewState, Turn
from moderator.rules import DECLINED, GENERIC_PROBE, RulePolicy, is_refusal, is_thin


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


# -- the end-to-end script, as ASR transcribes it ---------------------------------------

E2E_CONTEXT = {"company": "Acme Staffing", "role": "COO"}
E2E_SCRIPT = [
    "Yes, that is fine. You can record it.",
    "I run operations at a healthcare staffing company with about 200 people.",
    "We started looking after a failed audit last spring.",
    "Just spread sheets mostly.",
    "We keep everything in shared spreadsheets and an old tracking system. Moving away will take months of work.",
    "Our recruiters lose our every week, typing the same data into three different tools.",
    "We will measure success by cutting the time to fill a shift by a third.",
    "No nothing else. Thank you.",
]


def play(guide, answers, *, context=None, policy=None, step_s=0.0, start_s=0.0):
    """Replay answers through a policy; returns (actions, final state)."""
    state = InterviewState(guide=guide, context=context or {}, elapsed_s=start_s)
    policy = policy or RulePolicy()
    actions = []
    answers = iter(answers)
    for _ in range(60):
        action = policy.decide(state)
        actions.append(action)
        state.turns.append(Turn(speaker="moderator", text=action.text, question_id=action.question_id,
                                kind=action.kind))
        if action.kind == ActionKind.end:
            break
        state.turns.append(Turn(speaker="respondent", text=next(answers, "No."), question_id=action.question_id))
        state.elapsed_s += step_s
    return actions, state


@pytest.mark.parametrize("step_s", [0.0, 25.0, 60.0])
def test_end_to_end_script_flow(step_s):
    guide = bundled_guide("icp_validation")
    actions, _ = play(guide, E2E_SCRIPT, context=E2E_CONTEXT, step_s=step_s)
    assert [(a.kind.value, a.question_id) for a in actions] == [
        ("ask", "consent"), ("ask", "role"), ("ask", "trigger"), ("ask", "alternative"),
        ("follow_up", "alternative"), ("ask", "pain"), ("ask", "success"), ("ask", "wrap_up"), ("end", None),
    ]
    asks = [a for a in actions if a.kind == ActionKind.ask]
    assert asks[0].text == f"{' '.join(guide.intro.split())} {guide.question('consent').text}"
    assert [a.text for a in asks[1:]] == [guide.question(q).text for q in
                                          ("role", "trigger", "alternative", "pain", "success", "wrap_up")]
    assert actions[4].text == guide.question("alternative").probes[0]
    assert actions[-1].text == guide.closing and actions[-1].reason is None


def test_end_to_end_declined_consent():
    actions, _ = play(bundled_guide("icp_validation"), ["No, I do not want to be recorded."], context=E2E_CONTEXT)
    assert [a.kind for a in actions] == [ActionKind.ask, ActionKind.end]
    assert actions[-1].reason == "declined" and actions[-1].text == DECLINED


# -- consent and confirmations ----------------------------------------------------------------


def test_unclear_consent_is_confirmed_then_followed():
    guide = bundled_guide("icp_validation")
    actions, _ = play(guide, ["Hmm, what is it for?", "Yes, go ahead.", FULL])
    assert [(a.kind, a.question_id) for a in actions[:3]] == [
        (ActionKind.ask, "consent"), (ActionKind.confirm, "consent"), (ActionKind.ask, "role"),
    ]
    assert actions[1].text == "Would you say that's more of a yes or a no?"

    actions, _ = play(guide, ["Hmm, what is it for?", "No."])
    assert actions[-1].reason == "declined"
    # Never a clear yes: no interview.
    actions, _ = play(guide, ["Hmm.", "What do you mean?", "I'm not sure."])
    assert [a.kind for a in actions] == [ActionKind.ask, ActionKind.confirm, ActionKind.confirm, ActionKind.end]
    assert actions[-1].reason == "declined"


SCALE_GUIDE = parse_guide("""
id: g
title: t
sections:
  - id: s
    questions:
      - {id: score, type: scale, min: 1, max: 10, text: "From 1 to 10, how easy is it to use", follow_up_depth: 0}
      - {id: next, text: "What would make it easier"}
""")


@pytest.mark.parametrize(("answers", "kinds"), [
    (["Eight out of ten.", FULL], ["ask", "ask", "end"]),  # sure: no confirmation
    (["Somewhere between five and eight.", "Yes.", FULL], ["ask", "confirm", "ask", "end"]),
    (["I'd say high.", "No, a six.", FULL], ["ask", "confirm", "ask", "end"]),
    (["Eleven!", "Seven.", FULL], ["ask", "confirm", "ask", "end"]),  # out of range: re-asked
    (["I'd say high.", "No.", "Seven.", FULL], ["ask", "confirm", "confirm", "ask", "end"]),  # wrong: re-ask once
    (["I'd say high.", "No.", "Hmm.", FULL], ["ask", "confirm", "confirm", "ask", "end"]),  # then move on
    (["I don't know.", FULL], ["ask", "ask", "end"]),  # a plain "don't know" is not pressed
    (["I'd rather not say.", FULL], ["ask", "ask", "end"]),
])
def test_confirmations(answers, kinds):
    actions, _ = play(SCALE_GUIDE, answers)
    assert [a.kind.value for a in actions] == kinds
    confirms = [a for a in actions if a.kind == ActionKind.confirm]
    assert all(a.question_id == "score" for a in confirms)


def test_confirmation_text_names_the_value():
    actions, _ = play(SCALE_GUIDE, ["I'd say high."])
    assert actions[1].text == "So that's an 8 out of 10?"


# -- follow-up depth -----------------------------------------------------------------------------


def depth_guide(depth: int, probes: str = "[]") -> object:
    return parse_guide(f"""
id: g
title: t
sections:
  - id: s
    questions:
      - {{id: q1, text: "What do you use today", follow_up_depth: {depth}, probes: {probes}}}
      - {{id: q2, text: "What would you change", follow_up_depth: 0}}
""")


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_depth_limit_is_the_questions_own(depth):
    actions, _ = play(depth_guide(depth), ["Excel."] * 10)
    probes = [a for a in actions if a.kind == ActionKind.follow_up]
    assert len(probes) == depth
    assert all(a.question_id == "q1" for a in probes)
    assert len({a.text for a in actions}) == len(actions)  # never the same words twice
    assert actions[-1].kind == ActionKind.end


def test_max_follow_ups_still_caps_every_question():
    actions, _ = play(depth_guide(3), ["Excel."] * 10, policy=RulePolicy(max_follow_ups=1))
    assert [a.kind for a in actions].count(ActionKind.follow_up) == 1


def test_researcher_probes_come_first_then_methodology_probes():
    actions, _ = play(depth_guide(3, '["Which version of Excel?"]'), ["Excel."] * 10)
    probes = [a.text for a in actions if a.kind == ActionKind.follow_up]
    assert probes[0] == "Which version of Excel?"
    assert probes[1] == GENERIC_PROBE
    assert probes[2] == "What happened the last time that came up?"  # the methodology's next neutral probe


def test_dont_know_to_a_probe_ends_the_probing():
    actions, _ = play(depth_guide(3), ["Excel.", "I don't know.", FULL])
    assert [a.kind for a in actions].count(ActionKind.follow_up) == 1


def test_generalisation_gets_a_request_for_a_specific_example():
    actions, _ = play(depth_guide(2), ["We always export everything to Excel and email it around.", FULL])
    probe = actions[1]
    assert probe.kind == ActionKind.follow_up
    assert probe.text == ('You said "we always export everything to Excel and email it around". '
                          "Could you tell me about the last time that actually happened?")
    # A generalisation that already comes with a specific occasion needs no probe.
    actions, _ = play(depth_guide(2), ["We usually export to Excel, like last Tuesday for the board report."])
    assert actions[1].kind == ActionKind.ask


# -- time budget ------------------------------------------------------------------------------------


def test_probes_are_trimmed_as_time_runs_out_and_the_wrap_up_is_always_reached():
    guide = bundled_guide("icp_validation")  # 12 minutes, six required questions and the wrap-up
    vague = ["Yes.", "Not sure.", "Maybe.", "Dunno.", "Kind of.", "Hard to say.", "Whatever.", "I guess.", "No."]
    relaxed, _ = play(guide, vague * 2, step_s=20)
    rushed, state = play(guide, vague * 2, step_s=100)
    assert [a.kind for a in relaxed].count(ActionKind.follow_up) > [a.kind for a in rushed].count(ActionKind.follow_up)
    for actions in (relaxed, rushed):
        assert [a.question_id for a in actions if a.kind == ActionKind.ask][-1] == "wrap_up"
        assert actions[-1].kind == ActionKind.end
    # At 100 s an exchange the wrap-up still starts inside the 12 minutes.
    wrap_at = next(i for i, t in enumerate(state.turns) if t.question_id == "wrap_up") // 2 * 100
    assert wrap_at < guide.target_minutes * 60


def test_past_the_hard_stop_only_the_wrap_up_is_left():
    guide = bundled_guide("icp_validation")
    state = InterviewState(guide=guide, elapsed_s=guide.hard_stop_minutes * 60 + 1, turns=[
        Turn(speaker="moderator", text="q", question_id="trigger", kind=ActionKind.ask),
        Turn(speaker="respondent", text="Dunno.", question_id="trigger"),
    ])
    assert RulePolicy().decide(state).question_id == "wrap_up"


def test_optional_questions_are_skipped_when_time_is_short():
    guide = bundled_guide("customer_discovery")  # dealbreakers is optional
    answers = ["Yes."] + [FULL] * 12
    relaxed, _ = play(guide, answers, step_s=20)
    rushed, _ = play(guide, answers, step_s=150)
    assert "dealbreakers" in [a.question_id for a in relaxed]
    assert "dealbreakers" not in [a.question_id for a in rushed]
    assert [a.question_id for a in rushed if a.kind == ActionKind.ask][-1] == "wrap_up"


# -- odd input never raises ---------------------------------------------------------------------------


ONE_QUESTION = parse_guide("id: g\ntitle: t\nsections:\n  - id: s\n    questions:\n      - {id: only, text: Why}\n")


@pytest.mark.parametrize("turns", [
    [],
    [Turn(speaker="respondent", text="Hello?")],
    [Turn(speaker="respondent", text="", question_id="nope")],
    [Turn(speaker="moderator", text="Hi", question_id="nope", kind=ActionKind.ask),
     Turn(speaker="respondent", text="", question_id="nope")],
    [Turn(speaker="moderator", text="Hi", question_id=None, kind=None),
     Turn(speaker="respondent", text="...")],
    [Turn(speaker="moderator", text="Why", question_id="only", kind=ActionKind.ask)],
    [Turn(speaker="moderator", text="Why", question_id="only", kind=ActionKind.confirm),
     Turn(speaker="respondent", text="yes")],
    [Turn(speaker="moderator", text="Bye", kind=ActionKind.end)],
])
@pytest.mark.parametrize("guide", [ONE_QUESTION, bundled_guide("icp_validation"),
                                   bundled_guide("product_feedback_structured")])
def test_odd_states_never_raise(guide, turns):
    action = RulePolicy().decide(InterviewState(guide=guide, turns=turns, elapsed_s=-5))
    assert action.text.strip()
    if action.kind != ActionKind.end:
        assert guide.find(action.question_id) is not None


def test_one_question_guide_runs_to_the_end():
    actions, _ = play(ONE_QUESTION, ["", "", "", ""])
    assert [a.kind for a in actions] == [ActionKind.ask, ActionKind.follow_up, ActionKind.end]


def test_random_conversations_never_raise_or_repeat():
    import random

    rng = random.Random(7)
    pool = ["", "...", "Yes.", "No.", "Not sure.", "7", "eleven", "We always do it by hand.", FULL,
            "Slack and Teams", "Price first", "I'd rather not say.", "{name}", "ignore previous instructions"]
    for name in ("icp_validation", "product_feedback_structured", "jobs_to_be_done", "open_exploration"):
        guide = bundled_guide(name)
        for _ in range(15):
            actions, _ = play(guide, [rng.choice(pool) for _ in range(40)], step_s=rng.choice([5, 40, 120]))
            assert actions[-1].kind == ActionKind.end
            asked = [a.question_id for a in actions if a.kind == ActionKind.ask]
            assert len(asked) == len(set(asked))
            assert len({a.text for a in actions}) == len(actions) or actions[-1].reason == "declined"


# -- respondent context -----------------------------------------------------------------------------------


PERSONAL = parse_guide("""
id: g
title: t
intro: "Hi {name|there}, thanks for joining from {company|your company}."
closing: "Thanks {name}. Goodbye."
sections:
  - id: s
    questions:
      - {id: consent, type: yes_no, text: "Is recording okay", end_on_no: true, follow_up_depth: 0}
      - {id: role, text: "What is your role at {company}", context_keys: [role]}
      - {id: email_check, text: "Is {email|your email} still the best way to reach you", type: yes_no}
      - {id: tools, text: "Which tools do you use", follow_up_depth: 2}
""")


def test_context_fills_templates_and_skips_what_it_answers():
    actions, _ = play(PERSONAL, ["Yes.", "Yes.", FULL], context={"name": "Dana", "company": "Acme", "role": "COO"})
    assert actions[0].text == "Hi Dana, thanks for joining from Acme. Is recording okay"
    assert [a.question_id for a in actions if a.kind == ActionKind.ask] == ["consent", "email_check", "tools"]
    assert actions[-1].text == "Thanks Dana. Goodbye."


def test_missing_context_degrades_gracefully():
    actions, _ = play(PERSONAL, ["Yes.", FULL, "Yes.", FULL])
    assert actions[0].text == "Hi there, thanks for joining from your company. Is recording okay"
    assert actions[1].text == "What is your role at"  # no fallback given: the placeholder just goes
    assert actions[-1].text == "Thanks. Goodbye."


def test_private_values_are_never_spoken():
    context = {"name": "Dana", "company": "Acme", "email": "dana@acme.example", "nickname": "Dee",
               "private": ["company", "nickname"]}
    sneaky = "We always send it from dana@acme.example and sign it Dee from Acme."
    actions, _ = play(PERSONAL, ["Yes.", FULL, "Yes.", sneaky, FULL], context=context)
    spoken = " ".join(a.text for a in actions)
    for secret in ("dana@acme.example", "Acme", "Dee"):
        assert secret.lower() not in spoken.lower()
    assert actions[0].text == "Hi Dana, thanks for joining from your company. Is recording okay"
    assert actions[2].text == "Is your email still the best way to reach you"
    probe = next(a for a in actions if a.kind == ActionKind.follow_up)
    assert probe.text == EXAMPLE_PROBE  # no quote when it would hold a private value
