"""A deterministic synthetic study for the report tests and the benchmark.

`make_study(n_per_segment)` builds interviews over three segments (link context
`company_size` / `plan`) whose open answers carry planted themes with known
membership, whose structured answers follow a known plan, and a few interviews
of planted low quality. Everything is derived from the interview index: no
randomness beyond a seeded `random.Random`, so every run produces the same study.

`Study.planted[theme]` is the set of interview ids that voice the theme;
`Study.sentences[theme]` every sentence used for it, so a test can tell which
theme a report quote belongs to.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from moderator.guide import Guide
from moderator.transcript import StructuredAnswer, TranscriptDoc, TranscriptTurn

SEGMENTS = ("1-10", "11-200", "201-1000")
PLANS = {"1-10": "free", "11-200": "team", "201-1000": "enterprise"}

GUIDE_YAML = {
    "id": "icp_synthetic",
    "title": "ICP validation (synthetic)",
    "methodology": "customer_discovery",
    "research_goal": "Learn who gets the most value from automated candidate paperwork and why.",
    "target_minutes": 15,
    "sections": [
        {"id": "consent", "questions": [
            {"id": "consent", "type": "yes_no", "text": "Is it okay to record this conversation?",
             "end_on_no": True, "follow_up_depth": 0}]},
        {"id": "context", "questions": [
            {"id": "role", "text": "What is your role, and what does your company do?",
             "probe_goals": ["industry", "company_size", "geography", "buying_committee"]}]},
        {"id": "trigger", "questions": [
            {"id": "trigger", "text": "What happened that made you start looking for a solution like this?",
             "probe_goals": ["trigger_event", "funding_stage"]}]},
        {"id": "alternative", "questions": [
            {"id": "alternative", "text": "How do you handle this today, and what would it take to switch?",
             "probe_goals": ["current_alternative", "switching_cost", "tech_stack"]}]},
        {"id": "pain", "questions": [
            {"id": "pain", "text": "What is the most painful part of that process today?",
             "probe_goals": ["primary_pain"]},
            {"id": "pain_scale", "type": "scale", "min": 1, "max": 10,
             "text": "On a scale from 1 to 10, how painful is it today?"}]},
        {"id": "tools", "questions": [
            {"id": "crm", "type": "single_choice", "options": ["HubSpot", "Salesforce", "Pipedrive", "None"],
             "allow_other": True, "text": "Which CRM do you use?"},
            {"id": "channels", "type": "multiple_choice", "options": ["Email", "Slack", "Phone", "SMS"],
             "text": "Which channels do you use to reach candidates?"},
            {"id": "priorities", "type": "ranking", "options": ["Price", "Ease of use", "Integrations", "Support"],
             "text": "Rank these from most to least important: price, ease of use, integrations, support."},
            {"id": "budget", "type": "yes_no", "text": "Do you have budget set aside for a tool like this?"}]},
        {"id": "success", "questions": [
            {"id": "success", "text": "If this were solved, how would you measure success?",
             "probe_goals": ["success_criteria"]},
            {"id": "dealbreakers", "text": "What would make a tool like this a bad fit for you?",
             "probe_goals": ["disqualifiers"]}]},
        {"id": "wrap_up", "questions": [
            {"id": "wrap_up", "text": "Is there anything else I should have asked?", "required": False,
             "follow_up_depth": 0}]},
    ],
}


def study_guide() -> Guide:
    return Guide.model_validate(GUIDE_YAML)


# ---------------------------------------------------------------- planted themes (paraphrases)

THEMES: dict[str, list[str]] = {
    "audit": [
        "We failed a compliance audit last spring and that was the wake-up call.",
        "A state compliance audit found missing credential files, so we had to act.",
        "The auditors flagged our paperwork as non-compliant and we started searching right after.",
        "After a bad compliance audit our leadership said we needed a proper system.",
        "We got written up in an audit for expired licenses in our candidate files.",
        "An external compliance audit showed gaps in our documentation and that forced the search.",
        "The trigger was the audit, we nearly lost a contract because files were not compliant.",
        "Honestly the compliance review from the state is what pushed us to look.",
        "We had an audit coming and realised our credential records would not pass.",
    ],
    "leader": [
        "We hired a new VP of Operations and she asked for a better tool on day one.",
        "Our new chief operating officer came in and wanted the process modernised.",
        "A change in leadership, the new COO made this a priority for the year.",
        "When the new head of operations joined, she started the search herself.",
        "Our new VP came from a company that had automated this, so she pushed for it.",
    ],
    "sheets": [
        "Right now we track everything in a big shared spreadsheet.",
        "Today it is all Google Sheets and a lot of copy and paste.",
        "We use Excel spreadsheets for the whole process at the moment.",
        "Everything lives in a spreadsheet that one person maintains.",
        "Honestly it is a set of spreadsheets, one tab per candidate stage.",
        "We keep a spreadsheet with every candidate and update it by hand.",
        "Our current system is just Excel files emailed back and forth.",
        "It is basically a shared Google spreadsheet that everyone edits.",
    ],
    "legacy": [
        "We are stuck on an outdated applicant tracking system from ten years ago.",
        "Our old ATS is clunky but all our history is in it.",
        "We use a legacy applicant tracking system that nobody likes.",
        "The current ATS is ancient and the vendor barely supports it anymore.",
        "It is an old on-premise applicant tracking system that IT keeps alive.",
        "We run an aging ATS that was customised years ago and is hard to change.",
        "Our applicant tracking software is really old and slow.",
    ],
    "data_entry": [
        "Recruiters spend hours every week retyping the same candidate data into three systems.",
        "The manual data entry eats about fifteen hours per recruiter each week.",
        "Typing candidate details into different systems by hand takes forever.",
        "So much time goes into copying candidate information from one system to another.",
        "Our recruiters do manual data entry all day instead of talking to candidates.",
        "Entering the same candidate records twice by hand wastes half a day every week.",
        "The worst part is re-entering candidate data manually, it is slow and full of typos.",
        "Hours disappear into manual data entry for every single placement.",
    ],
    "price": [
        "A monthly subscription like this costs far too much for a business our size.",
        "The price is the problem, we cannot afford another monthly subscription.",
        "We do not have the budget for software like this right now.",
        "Honestly the subscription price is too expensive for a tiny team like ours.",
        "If it costs more than fifty dollars a month we simply cannot pay for it.",
        "Money is tight, so an expensive subscription is out of the question.",
        "Software subscriptions are too pricey for us, we watch every dollar.",
    ],
    "time_to_fill": [
        "Success would be cutting our time-to-fill by at least a third.",
        "I would measure it by how many days it takes to fill an open shift.",
        "We would look at time-to-fill, it should drop from three weeks to two.",
        "The number I care about is time to fill each position.",
        "If our average time-to-fill goes down, that is success.",
        "Filling open roles faster, measured in days to fill, is the metric.",
        "Time-to-fill is the metric our board watches, so that would be it.",
    ],
    "errors": [
        "Success means fewer mistakes on our invoices each month.",
        "I would measure it by the number of billing errors we catch.",
        "If our invoices stopped having errors, I would call that a win.",
        "Fewer invoice mistakes and fewer angry calls from clients.",
        "We would count how many invoices go out with errors.",
    ],
    "integration": [
        "If it does not integrate with Salesforce, it is a non-starter for us.",
        "It has to connect to our existing ATS or we will not even look at it.",
        "No integration with our current systems would be a deal breaker.",
        "A tool that cannot sync with our CRM is useless to us.",
        "Without an API that talks to our other software, we would pass.",
        "If our data cannot flow into Salesforce automatically, it is not a fit.",
    ],
}

# Unplanted but genuine: every mid and large respondent works in healthcare staffing.
STAFFING_ROLES = [
    "I'm the COO at a healthcare staffing agency with about {n} people, based in {city}.",
    "I run operations for a nurse staffing company of roughly {n} employees in {city}.",
    "I lead recruiting at a healthcare staffing firm, we are around {n} people in {city}.",
    "I'm head of operations at a medical staffing agency, about {n} staff, headquartered in {city}.",
]
SMALL_ROLES = [
    "I own a small bakery with {n} employees in {city}.",
    "I'm the office manager at a dental practice, we are {n} people in {city}.",
    "I run a landscaping business with {n} people in {city}.",
    "I'm the founder of a tiny bookkeeping firm, {n} of us in {city}.",
    "I manage a family-owned hardware store in {city} with {n} staff.",
    "I'm a partner at a small architecture studio of {n} people in {city}.",
]
CITIES = ["Columbus, Ohio", "Austin, Texas", "Denver, Colorado", "Raleigh, North Carolina", "Phoenix, Arizona",
          "Portland, Oregon", "Tampa, Florida", "Madison, Wisconsin"]
COMMITTEE = [
    "Our CFO signs off on any software purchase.",
    "The VP of Operations approves the budget and the recruiters use the tool.",
    "Purchases go through our finance director, with IT reviewing security.",
]
SMALL_COMMITTEE = ["I make every buying decision myself.", "It is just me deciding, with my business partner."]
SMALL_TRIGGERS = [
    "A customer mentioned a tool they liked and I got curious.",
    "I saw an advert while reading a trade magazine.",
    "My accountant suggested I look at automating some paperwork.",
    "I was curious after a friend showed me something similar.",
    "We hired our first part-time helper and the paperwork doubled.",
    "I read a blog post about small business software and wondered.",
]
NOISE = [
    "My commute was terrible this morning because of the roadworks.",
    "We also sponsor the local youth football team every summer.",
    "Our office moved to a new building with a much nicer kitchen.",
    "I used to work as a chef before all of this.",
    "The coffee machine broke again, which nobody was happy about.",
    "We celebrate every placement with a little bell in the office.",
    "I am taking my kids camping next weekend.",
    "Our dog comes to the office on Fridays.",
    "The parking situation downtown is getting worse.",
    "We just repainted the reception area in a bright green.",
    "I listen to podcasts about history on my way in.",
    "One of our recruiters is training for a marathon.",
    "We had a big team lunch for the holidays.",
    "The winter here was unusually mild this year.",
    "I keep a plant on my desk that refuses to die.",
    "Our printer jams at least twice a day.",
    "We switched internet providers over the summer.",
    "I started learning Spanish on my phone.",
    "The building's elevator is always out of order.",
    "Our team plays trivia on Thursday evenings.",
]
FILLERS = ["Um, let me think.", "Good question.", "Hmm, okay.", "Right, so."]


@dataclass
class Study:
    guide: Guide
    docs: list[TranscriptDoc]
    planted: dict[str, set[str]] = field(default_factory=dict)  # theme -> interview ids
    sentences: dict[str, set[str]] = field(default_factory=dict)  # theme -> every sentence used
    low_quality: set[str] = field(default_factory=set)
    plan: dict[str, dict[str, StructuredAnswer]] = field(default_factory=dict)  # interview -> answers
    segment_of: dict[str, str] = field(default_factory=dict)

    @property
    def included(self) -> list[TranscriptDoc]:
        return [d for d in self.docs if d.interview_id not in self.low_quality]


class _Builder:
    """Lays out turns with plausible times: the moderator speaks ~5 s, respondents 2.6 words/s."""

    def __init__(self, interview_id: str, confidence: float) -> None:
        self.interview_id = interview_id
        self.turns: list[TranscriptTurn] = []
        self.t = 1.0
        self.confidence = confidence
        self._id = int(interview_id.split("-")[-1]) * 1000  # turn ids unique across the study

    def say(self, speaker: str, text: str, question_id: str | None, kind: str | None = None) -> TranscriptTurn:
        duration = 4.5 if speaker == "moderator" else max(1.0, len(text.split()) / 2.6)
        turn = TranscriptTurn(
            id=self._id + len(self.turns) + 1,
            seq=len(self.turns) + 1,
            speaker=speaker,  # type: ignore[arg-type]
            kind=kind if speaker == "moderator" else None,
            question_id=question_id,
            text=text,
            start_s=round(self.t, 2),
            end_s=round(self.t + duration, 2),
            confidence=self.confidence if speaker == "respondent" else None,
        )
        self.turns.append(turn)
        self.t += duration + 0.8
        return turn


def _answer(qid: str, qtype: str, value, raw: str, confident: bool = True, other: str | None = None):
    return StructuredAnswer(question_id=qid, type=qtype, value=value, confident=confident, raw=raw, other_text=other)


def _structured_plan(segment: int, k: int) -> dict[str, tuple[StructuredAnswer, str]]:
    """The structured answers of interview k of a segment, with the spoken text of each."""
    plan: dict[str, tuple[StructuredAnswer, str]] = {}
    # Scale: small 3..5, mid 6..8, large 7..9; one unclear answer (None) and one half point per segment.
    base = (3, 6, 7)[segment]
    value: float | int | None = base + k % 3
    if k == 11:
        value = None
    elif k == 10:
        value = base + 0.5
    raw = "Hard to say really." if value is None else f"I'd say {value}."
    plan["pain_scale"] = (_answer("pain_scale", "scale", value, raw, confident=value is not None and k != 9), raw)
    crm_value: str = ["None", "HubSpot", "Salesforce"][segment]
    other: str | None = None
    if segment == 0 and k % 4 == 3:
        crm_value, other = "other", "Zoho"
    if segment == 1 and k % 3 == 2:
        crm_value = "Pipedrive"
    crm_raw = f"We use {other or crm_value}."
    plan["crm"] = (_answer("crm", "single_choice", crm_value, crm_raw, other=other), crm_raw)
    channels = [["Email", "Phone"], ["Email", "SMS"], ["Email", "Slack", "Phone"]][segment]
    if k % 4 == 0:
        channels = channels + ["SMS"] if "SMS" not in channels else channels
    channels = [c for c in ["Email", "Slack", "Phone", "SMS"] if c in channels]
    plan["channels"] = (_answer("channels", "multiple_choice", channels, ", ".join(channels)), ", ".join(channels))
    rankings = [
        ["Price", "Ease of use", "Support", "Integrations"],
        ["Ease of use", "Integrations", "Price", "Support"],
        ["Integrations", "Ease of use", "Support", "Price"],
    ]
    ranking = rankings[segment] if k % 5 else rankings[segment][:2]  # some respondents rank only two
    plan["priorities"] = (_answer("priorities", "ranking", ranking, ", then ".join(ranking)), ", then ".join(ranking))
    budget: bool | None = segment > 0 if k % 6 else (segment == 0)
    if k == 7:
        budget = None
    budget_raw = {True: "Yes, we do.", False: "No, not really.", None: "It depends."}[budget]
    plan["budget"] = (_answer("budget", "yes_no", budget, budget_raw, confident=budget is not None), budget_raw)
    return plan


def _good_interview(segment: int, k: int, number: int, rng: random.Random, study: Study) -> TranscriptDoc:
    iid = f"int-{number:04d}"
    size = SEGMENTS[segment]
    b = _Builder(iid, confidence=round(0.72 + 0.2 * rng.random(), 3))
    guide = study.guide

    def plant(theme: str, index: int) -> str:
        options = THEMES[theme]
        sentence = options[index % len(options)]
        study.planted.setdefault(theme, set()).add(iid)
        study.sentences.setdefault(theme, set()).add(sentence)
        return sentence

    noise = iter(NOISE[(number * 3 + j) % len(NOISE)] for j in range(10))

    def ask(qid: str, sentences: list[str], follow_up: list[str] | None = None) -> None:
        b.say("moderator", guide.question(qid).text, qid, "ask")
        if rng.random() < 0.3:
            sentences = [rng.choice(FILLERS)] + sentences
        b.say("respondent", " ".join(sentences), qid)
        if follow_up:
            b.say("moderator", "Could you tell me more about that?", qid, "follow_up")
            b.say("respondent", " ".join(follow_up), qid)

    b.say("moderator", "Hi, thanks for joining. I'm an AI interviewer.", None, "say")
    ask("consent", ["Yes, that's fine."])
    n_people = [4 + k % 6, 30 + 13 * k, 250 + 60 * k][segment]
    city = CITIES[(number + k) % len(CITIES)]
    if segment == 0:
        role = [SMALL_ROLES[k % len(SMALL_ROLES)].format(n=n_people, city=city), SMALL_COMMITTEE[k % 2]]
    else:
        role = [STAFFING_ROLES[k % len(STAFFING_ROLES)].format(n=n_people, city=city), COMMITTEE[k % 3]]
    ask("role", role + ([next(noise)] if k % 2 else []))

    # trigger: audit (mid k<9, large k<8), new leader (mid k>=9, large k>=8), small: no shared trigger
    if segment == 0:
        trigger = [SMALL_TRIGGERS[k % len(SMALL_TRIGGERS)]]
        if k % 6 == 5:
            trigger = ["We hired our first part-time helper and the paperwork doubled."]
    elif (segment == 1 and k < 9) or (segment == 2 and k < 8):
        trigger = [plant("audit", number)]
    else:
        trigger = [plant("leader", number)]
    follow = [next(noise)] if k % 3 == 0 else None
    ask("trigger", trigger, follow)

    # alternative: spreadsheets (small all, mid k<6), legacy ATS (mid k>=6, large all)
    if segment == 0 or (segment == 1 and k < 6):
        alt = [plant("sheets", number)]
    else:
        alt = [plant("legacy", number)]
    alt.append("Switching would mean moving years of records and retraining everyone." if segment else
               "Switching would be easy, there is not much to move.")
    ask("alternative", alt)

    # pain: data entry (mid all, large k<9), price (small k<10)
    if segment > 0 and (segment == 1 or k < 9):
        pain = [plant("data_entry", number)]
    elif segment == 0 and k < 10:
        pain = [plant("price", number)]
    else:
        pain = ["Chasing people for signatures is annoying but manageable."]
    # The planted sentence arrives in the follow-up answer for every fourth interview.
    if k % 4 == 1:
        ask("pain", ["It is a few different things."] + [next(noise)], pain)
    else:
        ask("pain", pain)

    plan = _structured_plan(segment, k)
    for qid in ("pain_scale", "crm", "channels", "priorities", "budget"):
        answer, raw = plan[qid]
        ask(qid, [raw])
    study.plan[iid] = {qid: answer for qid, (answer, _) in plan.items()}

    # success: time-to-fill (mid k<8, large k<10), invoice errors (small k<7)
    if segment > 0 and ((segment == 1 and k < 8) or (segment == 2 and k < 10)):
        success = [plant("time_to_fill", number)]
    elif segment == 0 and k < 7:
        success = [plant("errors", number)]
    else:
        success = ["I would just want the team to be happier with the process."]
    ask("success", success)

    # dealbreakers: integration (large all, mid k<5), price again for small k<10 (same interviews as above)
    if segment == 2 or (segment == 1 and k < 5):
        deal = [plant("integration", number)]
    elif segment == 0 and k < 10:
        deal = [plant("price", number + 3)]
    else:
        deal = ["Nothing in particular comes to mind."]
    ask("dealbreakers", deal + ([next(noise)] if k % 2 == 0 else []))
    ask("wrap_up", ["No, I think that covers it."])
    b.say("moderator", guide.closing, None, "end")

    answers = dict(study.plan[iid])
    answers["consent"] = _answer("consent", "yes_no", True, "Yes, that's fine.")
    return _doc(iid, b, {"company_size": size, "plan": PLANS[size], "company": f"Company {number}"}, "completed",
                answers)


def _doc(iid: str, b: _Builder, context: dict, status: str, answers: dict) -> TranscriptDoc:
    return TranscriptDoc(
        interview_id=iid, study_id=1, study="Synthetic ICP study", status=status, channel="browser",
        started_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=int(iid.split("-")[-1]) * 20),
        duration_s=round(b.t, 1), context=context, turns=b.turns, answers=answers,
    )


def _low_quality(kind: int, number: int, study: Study) -> TranscriptDoc:
    """0: "I don't know" to everything; 1: abandoned after the first question;
    2: one-word answers with poor ASR confidence; 3: complete but off-topic."""
    iid = f"int-{number:04d}"
    size = SEGMENTS[kind % 3]
    b = _Builder(iid, confidence=0.32 if kind == 2 else 0.8)
    guide = study.guide
    b.say("moderator", "Hi, thanks for joining. I'm an AI interviewer.", None, "say")
    b.say("moderator", guide.question("consent").text, "consent", "ask")
    b.say("respondent", "Yes.", "consent")
    answers = {"consent": _answer("consent", "yes_no", True, "Yes.")}
    off_topic = [
        "The football game last night went into overtime and we lost on penalties.",
        "I had pancakes for breakfast and then walked to the park with my neighbour.",
        "My favourite holiday destination is the coast of Portugal in early autumn.",
        "The new superhero movie was far too long but the soundtrack was great.",
        "I have been trying to grow tomatoes on my balcony this summer.",
        "My cousin is getting married in June and I still need a suit.",
        "Our cat learned how to open the fridge door, which is a problem.",
        "I think the best pizza in town comes from the place near the station.",
    ]
    status = "completed"
    for i, q in enumerate(guide.questions[1:]):
        if kind == 1 and i >= 1:
            status = "abandoned"
            break
        b.say("moderator", q.text, q.id, "ask")
        if kind == 0:
            text = "I don't know."
        elif kind == 1:
            text = "I work in an office."
        elif kind == 2:
            text = ["Spreadsheets.", "Money.", "Dunno.", "Fine."][i % 4]
        else:
            text = off_topic[i % len(off_topic)]
        b.say("respondent", text, q.id)
        answers[q.id] = _answer(q.id, q.type.value, None, text, confident=False)
    if status == "completed":
        b.say("moderator", guide.closing, None, "end")
    study.low_quality.add(iid)
    return _doc(iid, b, {"company_size": size, "plan": PLANS[size], "company": f"Company {number}"}, status, answers)


def make_study(n_per_segment: int = 12, n_low_quality: int = 4, seed: int = 7) -> Study:
    rng = random.Random(seed)
    study = Study(guide=study_guide(), docs=[])
    number = 1
    for k in range(n_per_segment):
        for segment in range(3):
            # Past twelve per segment (the benchmark), patterns repeat.
            doc = _good_interview(segment, k % 12, number, rng, study)
            study.docs.append(doc)
            study.segment_of[doc.interview_id] = SEGMENTS[segment]
            number += 1
    for kind in range(n_low_quality):
        doc = _low_quality(kind % 4, number, study)
        study.docs.append(doc)
        study.segment_of[doc.interview_id] = SEGMENTS[kind % 3]
        number += 1
    return study


# ---------------------------------------------------------------- a 45-minute interview

PLANTED_FACT = "our head office is in Hobart, Tasmania, and we run fourteen veterinary clinics"

_LONG_TOPICS = [
    "the rota for weekend cover", "vaccine stock levels", "the booking phone line", "client reminders",
    "locum vets", "invoice reconciliation", "the lab results inbox", "new starter paperwork",
    "insurance claims", "the practice management system", "controlled drug registers", "staff training logs",
]


def long_interview(minutes: float = 45.0) -> tuple[Guide, TranscriptDoc]:
    """One interview of `minutes` whose first answer holds PLANTED_FACT and the rest is long, varied talk."""
    guide = Guide.model_validate(GUIDE_YAML)
    b = _Builder("long-0999", confidence=0.85)
    b.say("moderator", "Hi, thanks for joining. I'm an AI interviewer.", None, "say")
    b.say("moderator", guide.question("consent").text, "consent", "ask")
    b.say("respondent", "Yes, go ahead.", "consent")
    b.say("moderator", guide.question("role").text, "role", "ask")
    b.say("respondent", f"I'm the operations director, and {PLANTED_FACT}. We have about ninety staff.", "role")
    rng = random.Random(45)
    open_ids = ["trigger", "alternative", "pain", "success", "dealbreakers"]
    i = 0
    while b.t < minutes * 60:
        qid = open_ids[(i // 6) % len(open_ids)]
        topic = _LONG_TOPICS[i % len(_LONG_TOPICS)]
        other = _LONG_TOPICS[(i * 7 + 3) % len(_LONG_TOPICS)]
        kind = "ask" if i % 6 == 0 else "follow_up"
        b.say("moderator", guide.question(qid).text if kind == "ask" else f"Tell me more about {topic}.", qid, kind)
        sentences = [
            f"When it comes to {topic}, we spend a lot of time on it every {rng.choice(['morning', 'week', 'month'])}.",
            f"Part {i}: the team handles {topic} with a mix of paper forms and the old software.",
            f"It connects to {other} in ways that are not obvious, so mistakes happen.",
            f"Last {rng.choice(['Tuesday', 'Friday', 'month'])} someone had to redo {topic} from scratch.",
            f"If that got easier we would save maybe {rng.randint(2, 9)} hours on {other}.",
        ]
        b.say("respondent", " ".join(sentences), qid)
        i += 1
    b.say("moderator", guide.closing, None, "end")
    doc = _doc("long-0999", b, {"company_size": "11-200", "plan": "team"}, "completed", {
        "consent": _answer("consent", "yes_no", True, "Yes, go ahead."),
    })
    return guide, doc


# ---------------------------------------------------------------- shared across test files (built once per session)


@lru_cache(maxsize=1)
def standard_study() -> Study:
    return make_study()


@lru_cache(maxsize=1)
def plain_report():
    """The study report without any model, segmented by company size."""
    from moderator.report import build_study_report

    study = standard_study()
    return build_study_report(study.guide, study.docs, segment_by="company_size")
