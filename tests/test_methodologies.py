"""Methodologies, the ledger and scripted conversations (text in, actions out) for each methodology.

Each scripted conversation checks the acceptance rules: a follow-up on every vague or generalised
answer, none on complete ones, no question asked twice, each question's follow-up depth respected,
and the wrap-up reached within the guide's time budget. The same scripts also run through the LLM
policy against the fake OpenAI-compatible server, which checks the ledger from the LLM side.
"""

from __future__ import annotations

import json
import re

import pytest

from moderator import methodologies
from moderator.answers import ParsedAnswer
from moderator.context import private_values, public_context, render
from moderator.guide import Methodology, bundled_guide, parse_guide
from moderator.ledger import build_ledger, structured_answers
from moderator.llm import (
    DecisionError,
    LLMConfig,
    LLMPolicy,
    build_completion_prompt,
    build_messages,
    decision_grammar,
    to_action,
)
from moderator.policy import Action, ActionKind, InterviewState, Turn
from moderator.rules import RulePolicy
from tests.fake_llm_server import FakeLLMServer

# -- methodologies as data ------------------------------------------------------------------------


def test_each_methodology_defines_its_goals():
    assert set(methodologies.METHODOLOGIES) == {m.value for m in Methodology}
    cd = methodologies.get(Methodology.customer_discovery).goal_ids()
    assert {"trigger_event", "current_alternative", "switching_cost", "primary_pain", "success_criteria",
            "disqualifiers"} <= set(cd)
    jtbd = methodologies.get("jobs_to_be_done").goal_ids()
    assert {"push", "pull", "anxiety", "habit", "trigger_event", "success_measures"} <= set(jtbd)
    assert methodologies.get("open_exploration").goal("story") is not None
    for spec in methodologies.METHODOLOGIES.values():
        assert spec.stance and spec.vague_probe and len(spec.more_probes) == 2
        for goal in spec.goals:
            assert goal.probe.endswith("?") and goal.probe.count("?") == 1, goal.id
            assert goal.cues, goal.id


@pytest.mark.parametrize(("goal", "text", "covered"), [
    ("switching_cost", "Moving away will take months of work.", True),
    ("switching_cost", "We keep everything in shared spreadsheets.", False),
    ("current_alternative", "Just spread sheets mostly.", True),
    ("trigger_event", "We started looking after a failed audit last spring.", True),
    ("disqualifiers", "Anything on-prem is a deal breaker for us.", True),
    ("primary_pain", "We're happy with it.", False),
])
def test_goal_cues(goal, text, covered):
    assert methodologies.get("customer_discovery").goal(goal).covered_by(text) is covered


def test_jtbd_forces():
    spec = methodologies.get("jobs_to_be_done")
    said = "I was worried about losing our history, but we were fed up with the spreadsheet we were used to."
    assert {g.id for g in spec.goals if g.covered_by(said)} >= {"anxiety", "push", "habit"}


@pytest.mark.parametrize(("text", "general"), [
    ("We always export it to Excel.", True),
    ("Usually the manager does it.", True),
    ("We tend to wait until Friday.", True),
    ("We usually export it, like last Tuesday for the board.", False),  # a specific occasion is given
    ("Last week the export failed.", False),
    ("We export it to Excel.", False),
])
def test_generalisation(text, general):
    assert methodologies.generalises(text) is general


def test_example_probe_quotes_short_and_skips_long():
    spec = methodologies.get("customer_discovery")
    assert methodologies.example_probe(spec, "Honestly, we always double check it by hand.") == (
        'You said "we always double check it by hand". Could you tell me about the last time that actually happened?'
    )
    rambling = "Usually " + " ".join(["the team"] * 12) + " does it."
    assert methodologies.example_probe(spec, rambling) == methodologies.EXAMPLE_PROBE


# -- scripted conversations, one per methodology ------------------------------------------------------

# (answer, what the moderator should do next: "probe" on the same question or "next")
SCRIPTS = {
    "customer_discovery": dict(
        context={"name": "Dana", "role": "Head of Support", "company_description": "a 12 person SaaS for dentists"},
        step_s=45,
        script=[
            ("Yes, that's fine.", "next"),
            ("Usually it's a refund request that sits in someone's personal inbox.", "probe"),  # generalises
            ("Last Tuesday a customer waited four days for a refund because the email went to Tom, who was "
             "on holiday.", "next"),
            ("After a big customer cancelled last month over a lost refund request, we started looking.", "next"),
            ("We use a shared Gmail label and a spreadsheet.", "probe"),  # switching cost left open
            ("Switching would take a week of migrating our templates.", "next"),
            ("Fewer than one request a month older than a day.", "next"),
            ("If it needs an on-prem install, that's a deal breaker.", "next"),
            ("No.", "end"),
        ],
        asked=["consent", "last_time", "trigger", "alternative", "success", "dealbreakers", "wrap_up"],
    ),
    "jobs_to_be_done": dict(
        context={},
        step_s=40,
        script=[
            ("Yes.", "next"),
            ("Not sure.", "probe"),
            ("I guess it just felt messy.", "probe"),
            ("Hmm, maybe.", "probe"),
            # Depth 3 is used up: the next answer gets no probe, whatever it is.
            ("Last March our biggest launch slipped two weeks because nobody saw the blocked tasks.", "next"),
            ("We had a big shared spreadsheet everyone was used to, and it kept breaking when ten people edited "
             "it at once.", "next"),
            ("The timeline view, it promised we'd finally see what's blocked before a launch.", "next"),
            ("I was worried the team wouldn't adopt it and we'd lose our history.", "next"),
            ("Trello and Asana.", "next"),
            ("We look at how many launches ship on the date we promised, that's the measure.", "next"),
            ("No, I think that's it.", "end"),
        ],
        asked=["consent", "first_thought", "old_way", "pull", "anxiety", "tools_considered", "success", "wrap_up"],
    ),
    "open_exploration": dict(
        context={"name": "Sam"},
        step_s=40,
        script=[
            ("Sure.", "next"),
            ("We usually just wing it.", "probe"),
            ("Last Sunday I looked in the fridge and built the whole week around leftover roast chicken.", "next"),
            ("Time, because after work I'm tired and planning feels like another job.", "next"),
            ("I wish something would plan the week around what's already in the fridge.", "next"),
            ("No.", "end"),
        ],
        asked=["consent", "routine", "hard_part", "wish", "wrap_up"],
    ),
    "product_feedback_structured": dict(
        context={"name": "Dana", "plan": "Business", "email": "dana@acme.example"},
        step_s=30,
        script=[
            ("Sure, go ahead.", "next"),
            ("About 30 of us.", "next"),
            ("I'd say high.", "confirm"),
            ("Yes.", "probe"),  # the researcher's "why" probe on the score
            ("Because the reports get slow once the data grows.", "next"),
            ("We use the shared inbox and reports.", "next"),
            ("Speed first, then price, then support, then integrations.", "next"),
            ("Probably.", "confirm"),
            ("Yes.", "next"),
            ("Support for custom fields, it's missing and we need it for every ticket.", "next"),
            ("No, that's it.", "end"),
        ],
        asked=["consent", "team_size", "satisfaction", "features_used", "priorities", "recommend", "improve",
               "wrap_up"],
    ),
}

EXPECT_KIND = {"next": ActionKind.ask, "probe": ActionKind.follow_up, "confirm": ActionKind.confirm,
               "end": ActionKind.end}


def replay(guide, answers, context, step_s, policy=None):
    state = InterviewState(guide=guide, context=context)
    policy = policy or RulePolicy()
    actions = [policy.decide(state)]
    for answer in answers:
        last = actions[-1]
        state.turns.append(Turn(speaker="moderator", text=last.text, question_id=last.question_id, kind=last.kind))
        if last.kind == ActionKind.end:
            break
        state.turns.append(Turn(speaker="respondent", text=answer, question_id=last.question_id))
        state.elapsed_s += step_s
        actions.append(policy.decide(state))
    return actions, state


def check_interview(guide, actions, state, step_s):
    kinds = [a.kind for a in actions]
    asked = [a.question_id for a in actions if a.kind == ActionKind.ask]
    assert len(asked) == len(set(asked)), "a question was asked twice"
    assert len({" ".join(a.text.lower().split()) for a in actions}) == len(actions), "something was said twice"
    for q in guide.questions:
        assert sum(1 for a in actions if a.kind == ActionKind.follow_up and a.question_id == q.id) <= (
            q.follow_up_depth
        ), q.id
    assert kinds[-1] == ActionKind.end and actions[-1].reason is None
    assert asked[-1] in guide.wrap_up_ids()
    wrap_up_at = actions.index(next(a for a in actions if a.question_id in guide.wrap_up_ids())) * step_s
    assert wrap_up_at < guide.target_minutes * 60


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_scripted_conversation(name):
    case = SCRIPTS[name]
    guide = bundled_guide(name)
    answers = [a for a, _ in case["script"]]
    actions, state = replay(guide, answers, case["context"], case["step_s"])
    assert actions[0].kind == ActionKind.ask
    expected = [EXPECT_KIND[nxt] for _, nxt in case["script"]]
    assert [a.kind for a in actions[1:]] == expected, [(a.kind.value, a.question_id, a.text[:50]) for a in actions]
    # A probe or a confirmation stays on the question just answered.
    for before, after in zip(actions, actions[1:], strict=False):
        if after.kind in (ActionKind.follow_up, ActionKind.confirm):
            assert after.question_id == before.question_id
    assert [a.question_id for a in actions if a.kind == ActionKind.ask] == case["asked"]
    check_interview(guide, actions, state, case["step_s"])
    # Nothing private or unfilled is ever said.
    for action in actions:
        assert "{" not in action.text and "}" not in action.text
        for secret in private_values(case["context"]):
            assert secret not in action.text


def test_scripted_structured_answers():
    case = SCRIPTS["product_feedback_structured"]
    guide = bundled_guide("product_feedback_structured")
    _, state = replay(guide, [a for a, _ in case["script"]], case["context"], case["step_s"])
    answers = {qid: (a.value, a.confident) for qid, a in structured_answers(state).items()}
    assert answers == {
        "consent": (True, True),
        "plan": ("Business", True),  # from the link context; never asked
        "team_size": ("21-100 people", True),
        "satisfaction": (8, True),  # "I'd say high" -> 8, confirmed by "Yes"
        "features_used": (["Shared inbox", "Reports"], True),
        "priorities": (["Speed", "Price", "Support", "Integrations"], True),
        "recommend": (True, True),  # "Probably" -> confirmed
        "improve": ("Support for custom fields, it's missing and we need it for every ticket.", True),
        "wrap_up": ("No, that's it.", True),
    }
    assert all(isinstance(a, ParsedAnswer) for a in structured_answers(state).values())


def test_budget_pressure_trims_probes_for_every_methodology():
    for name, case in SCRIPTS.items():
        guide = bundled_guide(name)
        vague = ["Yes."] + ["Maybe.", "Kind of.", "I guess so."] * 10
        step = guide.target_minutes * 60 / 10  # far too slow for every probe
        actions, state = replay(guide, vague, case["context"], step)
        check_interview(guide, actions, state, step)
        relaxed, _ = replay(guide, vague, case["context"], 10)
        assert sum(a.kind == ActionKind.follow_up for a in actions) < sum(
            a.kind == ActionKind.follow_up for a in relaxed
        ), name


# -- the ledger ---------------------------------------------------------------------------------------------

SCALE = parse_guide("""
id: g
title: t
sections:
  - id: s
    questions:
      - {id: score, type: scale, text: "From 1 to 10, how likely are you to recommend us"}
      - {id: tool, type: single_choice, text: "Which tool", options: [Slack, Teams, Email]}
      - {id: ok, type: yes_no, text: "Would you buy it again"}
      - {id: story, text: "Tell me about the last time"}
      - {id: apps, type: multiple_choice, text: "Which apps", options: [Slack, Teams, Email], allow_other: true}
""")


def convo(*pairs, context=None) -> InterviewState:
    """(kind, question_id, moderator text, respondent text) tuples -> state."""
    turns = []
    for kind, qid, said, reply in pairs:
        turns.append(Turn(speaker="moderator", text=said, question_id=qid, kind=kind))
        if reply is not None:
            turns.append(Turn(speaker="respondent", text=reply, question_id=qid))
    return InterviewState(guide=SCALE, turns=turns, context=context or {})


ASK, FOLLOW, CONFIRM = ActionKind.ask, ActionKind.follow_up, ActionKind.confirm


@pytest.mark.parametrize(("pairs", "expected"), [
    ([(ASK, "score", "q", "maybe seven or nine"), (CONFIRM, "score", "So that's an 8 out of 10?", "yes")], (8, True)),
    ([(ASK, "score", "q", "I'd say high"), (CONFIRM, "score", "So that's an 8 out of 10?", "No, eight")], (8, True)),
    ([(ASK, "score", "q", "around 7 out of 10, maybe 8"),
      (CONFIRM, "score", "So that's a 7 out of 10?", "no, eight")], (8, True)),
    ([(ASK, "score", "q", "high"), (CONFIRM, "score", "So that's an 8 out of 10?", "No.")], (None, False)),
    ([(ASK, "score", "q", "high"), (CONFIRM, "score", "c", "No."), (CONFIRM, "score", "c2", "A six.")], (6, True)),
    ([(ASK, "score", "q", "eleven"), (CONFIRM, "score", "Sorry, what number?", "nine")], (9, True)),
    ([(ASK, "score", "q", "high"), (CONFIRM, "score", "c", "hmm")], (8, False)),
    ([(ASK, "tool", "q", "slak"), (CONFIRM, "tool", "Just to check: was that Slack?", "Yes.")], ("Slack", True)),
    ([(ASK, "tool", "q", "slak"), (CONFIRM, "tool", "Just to check: was that Slack?", "No, Teams.")],
     ("Teams", True)),
    ([(ASK, "ok", "q", "probably"), (CONFIRM, "ok", "So that's a yes?", "Yes.")], (True, True)),
    ([(ASK, "ok", "q", "probably"), (CONFIRM, "ok", "So that's a yes?", "No.")], (False, True)),
    ([(ASK, "ok", "q", "it depends"), (CONFIRM, "ok", "More of a yes or a no?", "More of a no.")], (False, True)),
    ([(ASK, "apps", "q", "slak and Teams"), (CONFIRM, "apps", "Just to check: Slack and Teams?", "Yes, sure.")],
     (["Slack", "Teams"], True)),
    ([(ASK, "apps", "q", "slak and Teams"), (CONFIRM, "apps", "c", "No, just Slack.")], (["Slack"], True)),
    ([(ASK, "apps", "q", "slak and Teams"), (CONFIRM, "apps", "c", "No way.")], (None, False)),
    ([(ASK, "apps", "q", "slak and Teams"), (CONFIRM, "apps", "c", "No, Discord.")], (["other"], True)),
    ([(ASK, "story", "q", "We lost a client."), (FOLLOW, "story", "p", "Last May, over a late invoice.")],
     ("We lost a client. Last May, over a late invoice.", True)),
])
def test_structured_answers_resolve_confirmations_and_follow_ups(pairs, expected):
    answers = structured_answers(convo(*pairs))
    qid = pairs[0][1]
    assert (answers[qid].value, answers[qid].confident) == expected
    assert answers[qid].raw.startswith(pairs[0][3])


def test_structured_answers_tolerate_odd_turns():
    state = convo(
        (ASK, "nope", "q", "orphan answer"),
        (None, None, "small talk", "hello"),
        (ASK, "score", "q", "7"),
        (ASK, "score", "q again", "no wait, 9"),  # asked twice: the latest answer counts
        (ASK, "tool", "q", None),  # asked, not answered yet: not in the answers
    )
    state.turns.append(Turn(speaker="respondent", text="Email", question_id="tool"))
    state.turns.insert(0, Turn(speaker="respondent", text="", question_id="ok"))
    answers = structured_answers(state)
    assert answers["score"].value == 9
    assert answers["tool"].value == "Email"
    assert "nope" not in answers
    assert structured_answers(InterviewState(guide=SCALE)) == {}


def test_ledger_tracks_goals_and_context():
    guide = bundled_guide("icp_validation")
    state = InterviewState(guide=guide, context={"industry": "healthcare staffing"}, turns=[
        Turn(speaker="moderator", text="q", question_id="role", kind=ASK),
        Turn(speaker="respondent", text="I run ops. We moved off spreadsheets after last spring's audit.",
             question_id="role"),
    ])
    ledger = build_ledger(state)
    assert ledger.covered["industry"] == "context"
    assert ledger.covered["trigger_event"] == "role"  # cue words anywhere count
    assert ledger.covered["current_alternative"] == "role"
    assert "success_criteria" not in ledger.covered
    assert [g.id for g in ledger.uncovered_goals(guide.question("success"))] == ["success_criteria"]


def test_optional_question_skipped_when_its_goals_are_covered():
    guide = parse_guide("""
id: g
title: t
sections:
  - id: s
    questions:
      - {id: story, text: "What happened", probe_goals: [trigger_event], follow_up_depth: 0}
      - {id: deal, text: "Any deal breakers", probe_goals: [disqualifiers], required: false}
      - {id: must, text: "What would a non-starter be", probe_goals: [disqualifiers]}
      - {id: end, text: "Anything else", required: false, wrap_up: true, probe_goals: [disqualifiers]}
""")
    answers = ["After the audit we looked, but anything on-prem is a deal breaker.", "No.", "No."]
    actions, _ = replay(guide, answers, {}, 10)
    assert [a.question_id for a in actions if a.kind == ASK] == ["story", "must", "end"]


# -- the LLM policy reads the ledger --------------------------------------------------------------------------


async def test_llm_interviews_complete_for_every_methodology():
    with FakeLLMServer("ok") as server:
        for name, case in SCRIPTS.items():
            guide = bundled_guide(name)
            policy = LLMPolicy(LLMConfig(base_url=server.base_url, model="fake", deadline_s=2.0))
            state = InterviewState(guide=guide, context=case["context"])
            actions, outcomes = [], []
            answers = iter([a for a, _ in case["script"]])
            for _ in range(40):
                action = await policy.next_action(state)
                actions.append(action)
                outcomes.append(policy.last_outcome)
                state.turns.append(Turn(speaker="moderator", text=action.text, question_id=action.question_id,
                                        kind=action.kind))
                if action.kind == ActionKind.end:
                    break
                state.turns.append(Turn(speaker="respondent", text=next(answers, "No."),
                                        question_id=action.question_id))
                state.elapsed_s += case["step_s"]
            await policy.aclose()
            check_interview(guide, actions, state, case["step_s"])
            assert "llm" in outcomes and not any(o.startswith("fallback") for o in outcomes), (name, outcomes)
            # Context-answered questions are never asked, by the model either.
            if name == "customer_discovery":
                assert "role" not in [a.question_id for a in actions]
            if name == "product_feedback_structured":
                assert "plan" not in [a.question_id for a in actions]
                assert outcomes[[a.kind for a in actions].index(CONFIRM)] == "rules"  # confirmations are scripted


def _decision(action, qid, text):
    return json.dumps({"action": action, "question_id": qid, "text": text})


def test_to_action_uses_the_ledger():
    guide = bundled_guide("customer_discovery")
    context = {"role": "COO", "company_description": "staffing"}
    state = InterviewState(guide=guide, context=context, turns=[
        Turn(speaker="moderator", text="Is that okay?", question_id="consent", kind=ASK),
        Turn(speaker="respondent", text="Yes.", question_id="consent"),
    ])
    with pytest.raises(DecisionError, match="context already answers it"):
        to_action(_decision("ask", "role", "What is your role?"), state)
    with pytest.raises(DecisionError, match="already said"):
        to_action(_decision("follow_up", "consent", "Is that okay?"), state)
    action = to_action(_decision("ask", "last_time", "What happened the last time?"), state)
    assert action.question_id == "last_time"
    # Over time: no follow-ups, whatever the model wants.
    late = state.model_copy(update={"elapsed_s": guide.target_minutes * 60 + 5})
    late.turns = [*state.turns, Turn(speaker="moderator", text="What happened?", question_id="last_time", kind=ASK),
                  Turn(speaker="respondent", text="Dunno.", question_id="last_time")]
    with pytest.raises(DecisionError, match="no time left for follow-ups"):
        to_action(_decision("follow_up", "last_time", "Could you say more?"), late)
    # Past the hard stop the model may skip straight to the wrap-up, and end after it.
    done = late.model_copy(update={"elapsed_s": guide.hard_stop_minutes * 60 + 5})
    assert to_action(_decision("ask", "wrap_up", "Anything else I should have asked?"), done).question_id == "wrap_up"


PRIVATE_CONTEXT = {"name": "Dana", "company": "Acme Staffing", "email": "dana@acme.example",
                   "crm_id": "0031x00000AbCd", "deal_size": 48000, "private": ["crm_id", "deal_size"]}


def private_state() -> InterviewState:
    guide = bundled_guide("icp_validation")
    return InterviewState(guide=guide, context=PRIVATE_CONTEXT, elapsed_s=60, turns=[
        Turn(speaker="moderator", text=guide.question("consent").text, question_id="consent", kind=ASK),
        Turn(speaker="respondent", text="Yes.", question_id="consent"),
        Turn(speaker="moderator", text=guide.question("role").text, question_id="role", kind=ASK),
        Turn(speaker="respondent", question_id="role",
             text="I'm Dana, dana@acme.example, account 0031x00000abcd, we pay about 48000 a year."),
    ])


def test_private_values_never_reach_the_prompt():
    state = private_state()
    prompts = [m["content"] for m in build_messages(state)] + [build_completion_prompt(state)]
    for prompt in prompts:
        for secret in ("dana@acme.example", "0031x00000AbCd", "0031x00000abcd", "48000"):
            assert secret.lower() not in prompt.lower()
    user = build_messages(state)[1]["content"]
    assert '"name": "Dana"' in user and '"company": "Acme Staffing"' in user  # public context is there
    assert "[private]" in user and "crm_id" not in user and "private" not in public_context(PRIVATE_CONTEXT)


async def test_private_values_never_reach_the_model_nor_the_respondent():
    with FakeLLMServer("script") as server:
        server.replies = [_decision("follow_up", "role", "Thanks Dana. Is 0031x00000AbCd your account with us?")]
        policy = LLMPolicy(LLMConfig(base_url=server.base_url, model="fake", deadline_s=2.0))
        action = await policy.next_action(private_state())
        await policy.aclose()
    body = json.dumps(server.requests)
    for secret in ("dana@acme.example", "0031x00000AbCd", "48000"):
        assert secret.lower() not in body.lower()
    assert policy.last_outcome == "llm"
    said = "Thanks Dana. Is that your account with us?"
    assert action == Action(kind=ActionKind.follow_up, question_id="role", text=said)


def test_templates_render_from_context():
    assert render("Thanks {name}.", {"name": "Dana"}) == "Thanks Dana."
    assert render("Thanks {name}.", {}) == "Thanks."
    assert render("Thanks {name}.", {"name": "Dana", "private": "name"}) == "Thanks."
    assert render("Hi {name|there}, welcome.", {"name": "  "}) == "Hi there, welcome."
    assert render("{name}, welcome to {company|the study}!", {}) == "Welcome to the study!"
    assert render("Is {email|your email} right?", {"email": "a@b.c"}) == "Is your email right?"  # always private
    assert render("No placeholders {here is fine", {}) == "No placeholders {here is fine"


# -- completion style for base models ---------------------------------------------------------------------------


def test_completion_prompt_and_grammar_follow_the_ledger():
    guide = bundled_guide("icp_validation")
    state = InterviewState(guide=guide, elapsed_s=60, turns=[
        Turn(speaker="moderator", text=guide.question("consent").text, question_id="consent", kind=ASK),
        Turn(speaker="respondent", text="Yes.", question_id="consent"),
        Turn(speaker="moderator", text=guide.question("role").text, question_id="role", kind=ASK),
        Turn(speaker="respondent", text="Ops.", question_id="role"),
    ])
    prompt = build_completion_prompt(state)
    assert prompt.endswith("Decision: ")
    assert 'Next guide question: trigger "Think back' in prompt
    assert 'Respondent: "Ops."' in prompt and "Answer looks vague: yes. Follow-ups left: 1." in prompt
    grammar = decision_grammar(state)
    rules = grammar.splitlines()[0]
    assert '\\"ask\\", \\"question_id\\": \\"trigger\\"' in rules
    assert '\\"follow_up\\", \\"question_id\\": \\"role\\"' in rules
    assert "confirm" not in rules and '\\"end\\"' not in rules  # required questions remain
    assert re.search(r"^text ::= ", grammar, re.M)

    done = InterviewState(guide=guide, elapsed_s=600, turns=[
        t for q in guide.questions for t in (
            Turn(speaker="moderator", text=q.text, question_id=q.id, kind=ASK),
            Turn(speaker="respondent", text="We started looking after a failed audit last spring.", question_id=q.id),
        )
    ])
    rules = decision_grammar(done).splitlines()[0]
    assert '\\"end\\", \\"question_id\\": null' in rules and "ask" not in rules


def test_config_reads_the_prompt_style():
    config = LLMConfig.from_env({"OPENAI_MODEL": "gemma", "MODERATOR_LLM_PROMPT_STYLE": "completion"})
    assert config.prompt_style == "completion"
    with pytest.raises(ValueError):
        LLMConfig.from_env({"OPENAI_MODEL": "gemma", "MODERATOR_LLM_PROMPT_STYLE": "poetry"})
