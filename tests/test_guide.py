"""Guide schema: bundled templates load, and a bad guide gets an error naming the field path and the line."""

from __future__ import annotations

import textwrap

import pytest

from moderator.guide import (
    Guide,
    GuideError,
    Methodology,
    Question,
    QuestionType,
    bundled_guide,
    bundled_guide_names,
    parse_guide,
)


def guide_yaml(questions: str, head: str = "") -> str:
    """A minimal valid guide around some question YAML (already indented for the list)."""
    return (
        "id: g\n"
        "title: Test guide\n"
        f"{head}"
        "sections:\n"
        "  - id: s\n"
        "    questions:\n"
        f"{textwrap.indent(textwrap.dedent(questions).strip(), '      ')}\n"
    )


# -- bundled guides -----------------------------------------------------------------


def test_every_bundled_guide_loads():
    names = bundled_guide_names()
    assert {
        "icp_validation",
        "customer_discovery",
        "jobs_to_be_done",
        "open_exploration",
        "product_feedback_structured",
    } <= set(names)
    for name in names:
        guide = bundled_guide(name)
        assert guide.id == name
        assert guide.research_goal and guide.decision, name
        assert guide.wrap_up_ids() == {guide.questions[-1].id}, name  # every template ends on a wrap-up
        assert guide.questions[0].end_on_no, name  # and opens with consent


def test_one_template_per_methodology():
    assert {bundled_guide(m.value).methodology for m in Methodology} == set(Methodology)


def test_structured_guide_has_every_question_type():
    guide = bundled_guide("product_feedback_structured")
    assert {q.type for q in guide.questions} == set(QuestionType)


def test_icp_guide_keeps_its_questions():
    guide = bundled_guide("icp_validation")
    ids = ["consent", "role", "trigger", "alternative", "pain", "success", "wrap_up"]
    assert [q.id for q in guide.questions] == ids
    assert guide.question("role").text == "To start, what is your role, and what does your company do?"
    assert guide.question("pain").text == "What is the most painful part of that process for you today?"
    goals = {g for q in guide.questions for g in q.probe_goals}
    assert {
        "trigger_event",
        "current_alternative",
        "switching_cost",
        "primary_pain",
        "success_criteria",
        "disqualifiers",
    } <= goals


# -- schema ---------------------------------------------------------------------------


def test_full_schema_parses():
    guide = parse_guide(
        guide_yaml(
            """
            - id: q1
              text: 'How satisfied are you, {name|}?'
              type: scale
              min: 0
              max: 5
              labels: {0: not at all, 5: completely}
              follow_up_depth: none
            - id: q2
              text: Which ones?
              type: multiple_choice
              options: [A, B, C]
              allow_other: true
              probe_goals: [my_goal]
              context_keys: [tools]
            - id: q3
              text: Anything else?
              required: false
              wrap_up: true
            """,
            head=(
                "methodology: Jobs to Be Done\nresearch_goal: Learn.\ndecision: Decide.\ntarget_minutes: 9\n"
                "max_minutes: 11\ngoals:\n  - {id: my_goal, probe: Tell me more, cues: [foo*]}\n"
            ),
        )
    )
    assert guide.methodology == Methodology.jobs_to_be_done
    assert (guide.target_minutes, guide.hard_stop_minutes) == (9, 11)
    q1, q2, q3 = guide.questions
    assert (q1.min, q1.max, q1.follow_up_depth, q1.labels[5]) == (0, 5, 0, "completely")
    assert q2.options == ["A", "B", "C"] and q2.context_keys == ["tools"] and q2.probe_goals == ["my_goal"]
    assert q3.wrap_up and not q3.required and q3.skips_when_covered
    assert not q1.skips_when_covered  # required questions are only skipped when the guide says so


@pytest.mark.parametrize("alias", ["jtbd", "Jobs to Be Done", "jobs-to-be-done", "JOBS_TO_BE_DONE"])
def test_methodology_aliases(alias):
    guide = parse_guide(guide_yaml("- {id: q, text: Why}", head=f"methodology: {alias}\n"))
    assert guide.methodology == Methodology.jobs_to_be_done


def test_defaults():
    guide = parse_guide(guide_yaml("- {id: q, text: Why}"))
    q = guide.questions[0]
    assert (q.type, q.required, q.follow_up_depth, guide.target_minutes) == (QuestionType.open_ended, True, 1, 15)
    assert guide.hard_stop_minutes == 22.5
    assert guide.methodology == Methodology.customer_discovery


def test_questions_built_in_code_still_validate():
    assert Question(id="x", text="Pick", type="single_choice", options=["a", "b"]).options == ["a", "b"]
    with pytest.raises(ValueError, match="at least 2 options"):
        Question(id="x", text="Pick", type="ranking", options=["a"])
    with pytest.raises(ValueError, match="scale max"):
        Question(id="x", text="Rate", type="scale", min=5, max=5)


def test_wrap_up_falls_back_to_a_trailing_wrap_up_section():
    guide = Guide.model_validate(
        {
            "id": "g",
            "title": "t",
            "sections": [
                {"id": "main", "questions": [{"id": "a", "text": "A?"}]},
                {"id": "wrap_up", "questions": [{"id": "last", "text": "Anything else?"}]},
            ],
        }
    )
    assert guide.wrap_up_ids() == {"last"}


# -- errors name the path and the line ------------------------------------------------------


BAD_GUIDES = [
    # (yaml, dotted path expected in the message, line expected, extra text expected)
    (guide_yaml("- id: q\n  text: x\n  type: dance"), "sections.0.questions.0.type", 8, "Input should be"),
    (guide_yaml("- id: q\n  text: Pick one\n  type: single_choice"), "sections.0.questions.0.options", 6,
     "at least 2 options"),
    (guide_yaml("- id: q\n  text: Why\n  options: [a, b]"), "sections.0.questions.0.options", 8, "takes no options"),
    (guide_yaml("- id: q\n  text: Why\n  follow_up_depth: 4"), "sections.0.questions.0.follow_up_depth", 8,
     "less than or equal to 3"),
    (guide_yaml("- id: q\n  text: Why\n  follow_up_dept: 2"), "sections.0.questions.0.follow_up_dept", 8,
     "did you mean 'follow_up_depth'"),
    (guide_yaml("- {id: q, text: A}\n- {id: r, text: B}\n- {id: q, text: C}"), "sections.0.questions.2.id", 8,
     "duplicate question id 'q'"),
    (guide_yaml("- id: q\n  text: Why\n  probe_goals: [trigger_event, switch_cost]"),
     "sections.0.questions.0.probe_goals.1", 8, "did you mean 'switching_cost'"),
    (guide_yaml("- id: q\n  text: Rate\n  type: scale\n  min: 5\n  max: 3"), "sections.0.questions.0.max", 10,
     "greater than min"),
    (guide_yaml("- id: q\n  text: Rate\n  type: scale\n  labels: {0: low, 10: high}"),
     "sections.0.questions.0.labels.0", 9, "outside the scale 1 to 10"),
    (guide_yaml("- {id: a, text: Anything else, wrap_up: true}\n- {id: b, text: B}"),
     "sections.0.questions.1.wrap_up", 7, "must come last"),
    (guide_yaml("- id: q\n  text: '{name}'"), "sections.0.questions.0.text", 7, "words besides"),
    (guide_yaml("- {id: q, text: Why}", head="methodology: grounded_theory\n"), "methodology", 3, "Input should be"),
    (guide_yaml("- {id: q, text: Why}", head="target_minutes: 0\n"), "target_minutes", 3, "greater than 0"),
    (guide_yaml("- {id: q, text: Why}", head="target_minutes: 20\nmax_minutes: 10\n"), "max_minutes", 4,
     "not be less than"),
    ("id: g\nsections:\n  - id: s\n    questions:\n      - {id: q, text: Why}\n", "title", 1, "missing"),
    ("id: g\ntitle: t\nsections: []\n", "sections", 3, "at least 1"),
    (guide_yaml("- id: q\n  text: Why\n  text: Again?"), "sections.0.questions.0.text", 8, "key given twice"),
    (guide_yaml("- id: q\n  text: Why?", head="goals:\n  - {id: g1, probe: P}\n  - {id: g1, probe: Q}\n"),
     "goals.1.id", 5, "duplicate goal id"),
]


@pytest.mark.parametrize(("text", "path", "line", "words"), BAD_GUIDES)
def test_errors_name_the_field_and_the_line(text, path, line, words):
    with pytest.raises(GuideError) as info:
        parse_guide(text, source="study.yaml")
    message = str(info.value)
    assert message.startswith("study.yaml: ")
    assert path in message, message
    assert f"line {line}" in message, message
    assert words in message, message


def test_error_names_the_question_id():
    with pytest.raises(GuideError, match=r"sections\.0\.questions\.1\.type \(question 'second'\) \(line 9\)"):
        parse_guide(guide_yaml("- {id: first, text: A}\n- id: second\n  text: B?\n  type: essay"))


def test_every_problem_is_reported():
    text = guide_yaml("- id: q\n  text: Why\n  follow_up_depth: 9\n  type: nope")
    with pytest.raises(GuideError) as info:
        parse_guide(text)
    assert "follow_up_depth (question 'q') (line 8)" in str(info.value)
    assert "type (question 'q') (line 9)" in str(info.value)


def test_yaml_syntax_error_has_a_line():
    with pytest.raises(GuideError, match=r"not valid YAML: line 3: .*flow sequence that starts on line 2"):
        parse_guide("id: g\ntitle: [unclosed\n")
    with pytest.raises(GuideError, match=r"not valid YAML: line 2: "):
        parse_guide("id: g\n  title: t\n")


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain words"])
def test_not_a_mapping(text):
    with pytest.raises(GuideError, match="line 1: a guide must be a YAML mapping"):
        parse_guide(text)
