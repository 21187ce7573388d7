"""Persistence: studies, links, interviews and turns, through SQLAlchemy.

SQLite under the data directory by default; any SQLAlchemy URL (PostgreSQL)
through DATABASE_URL. Every method is one short transaction, so a turn is
committed the moment it exists. The methods block; the session loop calls them
from a worker thread.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Study(Base):
    __tablename__ = "studies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    guide_yaml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class Link(Base):
    __tablename__ = "links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, paused, revoked
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # Optional limits a researcher sets; checked when a new interview starts on the link (app.py).
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)  # UTC
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # interviews started on it


class Interview(Base):
    __tablename__ = "interviews"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="browser")
    # in_progress, completed, declined, interrupted, failed
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audio_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    quality: Mapped[float | None] = mapped_column(Float, nullable=True)  # 1..5, set by the analysis at the end
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # an InterviewAnalysis
    started_at: Mapped[datetime] = mapped_column(default=_now)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)


class TurnRecord(Base):
    __tablename__ = "turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(20))  # moderator | respondent
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)  # ask, follow_up, confirm, end
    question_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    start_s: Mapped[float] = mapped_column(Float)  # seconds from the start of the interview recording
    end_s: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)  # ASR confidence, respondent turns
    complete: Mapped[bool] = mapped_column(Boolean, default=True)  # False: cut off by a hang-up
    mode: Mapped[str] = mapped_column(String(10), default="voice")  # voice | text (typed by the respondent)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class AnswerRecord(Base):
    """The current structured answer to one guide question, updated as the conversation resolves it."""

    __tablename__ = "answers"
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)  # a ParsedAnswer as JSON
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


def new_token() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits: not guessable, safe in a URL path


class Store:
    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        Base.metadata.create_all(self.engine)
        self._add_missing_columns()

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True

    # studies and links
    def create_study(self, name: str, guide_yaml: str) -> int:
        with Session(self.engine) as s, s.begin():
            study = Study(name=name, guide_yaml=guide_yaml)
            s.add(study)
            s.flush()
            return study.id

    def get_study(self, study_id: int) -> Study | None:
        with Session(self.engine, expire_on_commit=False) as s:
            return s.get(Study, study_id)

    def list_studies(self) -> list[Study]:
        with Session(self.engine, expire_on_commit=False) as s:
            return list(s.scalars(select(Study).order_by(Study.id)))

    def create_link(self, study_id: int, context: dict[str, Any] | None = None, label: str = "") -> str:
        with Session(self.engine) as s, s.begin():
            link = Link(study_id=study_id, token=new_token(), context=context or {}, label=label)
            s.add(link)
            return link.token

    def first_link_token(self, study_id: int) -> str | None:
        with Session(self.engine) as s:
            return s.scalars(select(Link.token).where(Link.study_id == study_id).order_by(Link.id)).first()

    def get_link(self, token: str) -> Link | None:
        with Session(self.engine, expire_on_commit=False) as s:
            return s.scalars(select(Link).where(Link.token == token)).first()

    # interviews and turns
    def start_interview(self, link: Link, channel: str, audio_dir: Path) -> Interview:
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            interview = Interview(study_id=link.study_id, link_id=link.id, channel=channel, context=link.context)
            s.add(interview)
            s.flush()
            interview.audio_path = str(audio_dir / f"{interview.id}.wav")
            return interview

    def add_turn(self, interview_id: str, **fields: Any) -> int:
        with Session(self.engine) as s, s.begin():
            seq = len(s.scalars(select(TurnRecord.id).where(TurnRecord.interview_id == interview_id)).all())
            turn = TurnRecord(interview_id=interview_id, seq=seq, **fields)
            s.add(turn)
            s.flush()
            return turn.id

    def save_answers(self, interview_id: str, answers: dict[str, dict[str, Any]]) -> None:
        with Session(self.engine) as s, s.begin():
            for question_id, answer in answers.items():
                row = s.get(AnswerRecord, (interview_id, question_id))
                if row is None:
                    s.add(AnswerRecord(interview_id=interview_id, question_id=question_id, answer=answer))
                elif row.answer != answer:
                    row.answer = answer

    def answers(self, interview_id: str) -> dict[str, dict[str, Any]]:
        with Session(self.engine) as s:
            rows = s.scalars(select(AnswerRecord).where(AnswerRecord.interview_id == interview_id))
            return {r.question_id: r.answer for r in rows}

    def reopen_interview(self, interview_id: str) -> Interview:
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            interview = s.get(Interview, interview_id)
            interview.status = "in_progress"
            interview.ended_at = None
            return interview

    def save_analysis(self, interview_id: str, analysis: dict[str, Any], quality: float) -> None:
        with Session(self.engine) as s, s.begin():
            interview = s.get(Interview, interview_id)
            if interview is not None:
                interview.analysis, interview.quality = analysis, quality

    def finish_interview(self, interview_id: str, status: str, duration_s: float) -> None:
        with Session(self.engine) as s, s.begin():
            interview = s.get(Interview, interview_id)
            if interview is not None:
                interview.status = status
                interview.duration_s = duration_s
                interview.ended_at = _now()

    def get_interview(self, interview_id: str) -> Interview | None:
        with Session(self.engine, expire_on_commit=False) as s:
            return s.get(Interview, interview_id)

    def list_interviews(self, study_id: int | None = None) -> list[Interview]:
        with Session(self.engine, expire_on_commit=False) as s:
            query = select(Interview).order_by(Interview.started_at)
            if study_id is not None:
                query = query.where(Interview.study_id == study_id)
            return list(s.scalars(query))

    def turns(self, interview_id: str) -> list[TurnRecord]:
        with Session(self.engine, expire_on_commit=False) as s:
            query = select(TurnRecord).where(TurnRecord.interview_id == interview_id).order_by(TurnRecord.seq)
            return list(s.scalars(query))

    # -- added for the researcher dashboard: schema upgrade, link limits, link and study editing --

    def _add_missing_columns(self) -> None:
        """create_all makes missing tables but never alters existing ones: add the columns a newer version
        declares, so a data dir from an earlier version keeps working (only additive, never drops)."""
        have_tables = set(inspect(self.engine).get_table_names())
        dialect = self.engine.dialect
        with self.engine.begin() as conn:
            insp = inspect(conn)
            for table in Base.metadata.sorted_tables:
                if table.name not in have_tables:
                    continue
                have = {c["name"] for c in insp.get_columns(table.name)}
                for col in table.columns:
                    if col.name in have:
                        continue
                    ddl = f"ALTER TABLE {table.name} ADD COLUMN {col.name} {col.type.compile(dialect=dialect)}"
                    default = col.default.arg if col.default is not None and col.default.is_scalar else None
                    if default is not None:
                        value = literal(default).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
                        ddl += f" DEFAULT {value}"
                    conn.exec_driver_sql(ddl)

    @staticmethod
    def link_state(link: Link, now: datetime | None = None) -> str:
        """active, paused, revoked, expired or used_up: what a new interview on this link would meet."""
        if link.status != "active":
            return link.status
        expires = link.expires_at
        if expires is not None:
            if expires.tzinfo is None:  # SQLite hands datetimes back naive; they were written in UTC
                expires = expires.replace(tzinfo=UTC)
            if expires <= (now or _now()):
                return "expired"
        if link.max_uses is not None and link.uses >= link.max_uses:
            return "used_up"
        return "active"

    def claim_link_use(self, link_id: int) -> bool:
        """Count one new interview on a link, atomically, unless its cap is reached (two respondents
        racing for the last use cannot both get it)."""
        with Session(self.engine) as s, s.begin():
            done = s.execute(
                update(Link)
                .where(Link.id == link_id, (Link.max_uses.is_(None)) | (Link.uses < Link.max_uses))
                .values(uses=Link.uses + 1)
            )
            return done.rowcount == 1

    def get_link_by_id(self, link_id: int) -> Link | None:
        with Session(self.engine, expire_on_commit=False) as s:
            return s.get(Link, link_id)

    def list_links(self, study_id: int) -> list[Link]:
        with Session(self.engine, expire_on_commit=False) as s:
            return list(s.scalars(select(Link).where(Link.study_id == study_id).order_by(Link.id)))

    def add_links(self, study_id: int, rows: list[dict[str, Any]]) -> list[Link]:
        """Create many links in one transaction (a CSV upload is all or nothing). Each row may give
        label, context, max_uses and expires_at."""
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            links = [
                Link(study_id=study_id, token=new_token(), label=r.get("label", ""), context=r.get("context") or {},
                     max_uses=r.get("max_uses"), expires_at=r.get("expires_at"))
                for r in rows
            ]
            s.add_all(links)
            s.flush()
            return links

    def update_link(self, link_id: int, **fields: Any) -> Link | None:
        """Change a link's status, label, max_uses or expires_at (None clears a limit)."""
        allowed = {"status", "label", "max_uses", "expires_at"}
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            link = s.get(Link, link_id)
            if link is not None:
                for key, value in fields.items():
                    if key not in allowed:
                        raise ValueError(f"cannot change a link's {key}")
                    setattr(link, key, value)
            return link

    def update_study(self, study_id: int, name: str, guide_yaml: str) -> bool:
        with Session(self.engine) as s, s.begin():
            study = s.get(Study, study_id)
            if study is None:
                return False
            study.name, study.guide_yaml = name, guide_yaml
            return True

    def respondent_turn_counts(self, interview_ids: list[str]) -> dict[str, int]:
        """How many respondent turns each interview has (one query for a whole list)."""
        if not interview_ids:
            return {}
        with Session(self.engine) as s:
            rows = s.execute(
                select(TurnRecord.interview_id, func.count(TurnRecord.id))
                .where(TurnRecord.interview_id.in_(interview_ids), TurnRecord.speaker == "respondent")
                .group_by(TurnRecord.interview_id)
            )
            return {interview_id: count for interview_id, count in rows}


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the researcher API read while calls write; NORMAL sync is durable across app crashes.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
