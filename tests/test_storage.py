from voice_server.storage import Store


def test_turns_are_visible_to_another_connection_as_soon_as_added(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    writer, reader = Store(url), Store(url)
    study = writer.create_study("s", "id: g")
    token = writer.create_link(study, context={"company": "Acme"})
    link = reader.get_link(token)
    assert link.context == {"company": "Acme"}
    interview = writer.start_interview(link, "browser", tmp_path / "audio")
    writer.add_turn(interview.id, speaker="moderator", kind="ask", question_id="q1", text="Hi?", start_s=0, end_s=1)
    # A crash after this point loses nothing: another connection already sees the committed turn.
    turns = reader.turns(interview.id)
    assert [(t.seq, t.speaker, t.text) for t in turns] == [(0, "moderator", "Hi?")]
    writer.add_turn(interview.id, speaker="respondent", question_id="q1", text="Hello", start_s=1.2, end_s=2.0,
                    confidence=0.8)
    assert [t.seq for t in reader.turns(interview.id)] == [0, 1]
    assert reader.get_interview(interview.id).status == "in_progress"
    writer.finish_interview(interview.id, "completed", 2.0)
    done = reader.get_interview(interview.id)
    assert (done.status, done.duration_s) == ("completed", 2.0) and done.ended_at is not None


def test_link_tokens_are_unguessable(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    study = store.create_study("s", "id: g")
    tokens = {store.create_link(study) for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) >= 24 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)
    assert store.get_link("not-a-token") is None
