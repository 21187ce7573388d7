"""REFI-QDA project export (.qdpx): open the study in NVivo, ATLAS.ti, MAXQDA or QualCoder.

The archive holds `project.qde` (QDA-XML, namespace urn:QDA-XML:project:1.0,
valid against Project-mrt2019.xsd) and one plain-text source per transcript
under `sources/`. The project has one code per theme (and, under a parent
code, one per filled ICP field), one case per respondent carrying the link
context as variables, and every theme and ICP quote as a coded
`PlainTextSelection` whose start and end positions are character offsets into
that source. Private context keys (email, phone, those listed under `private`)
are not exported.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Sequence
from datetime import UTC
from typing import Any
from xml.etree import ElementTree as ET

from moderator.context import public_context
from moderator.report.models import Quote, StudyReport
from moderator.transcript import TranscriptDoc, clock

NS = "urn:QDA-XML:project:1.0"
_COLORS = ["#2B6CB0", "#C05621", "#2F855A", "#6B46C1", "#B7791F", "#C53030", "#2C7A7B", "#97266D"]


def _guid(*parts: object) -> str:
    """Stable GUIDs: the same report exports the same project."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "voice-interview:" + ":".join(map(str, parts))))


def source_text(doc: TranscriptDoc) -> tuple[str, dict[int, int]]:
    """The transcript as plain text, and each turn id's offset of its text within it."""
    lines = [f"Interview {doc.interview_id} - {doc.study}", ""]
    offsets: dict[int, int] = {}
    position = sum(len(line) + 1 for line in lines)
    for turn in doc.turns:
        who = "Moderator" if turn.speaker == "moderator" else "Respondent"
        prefix = f"[{clock(turn.start_s)} - {clock(turn.end_s)}] {who}: "
        offsets[turn.id] = position + len(prefix)
        line = prefix + turn.text
        lines.append(line)
        position += len(line) + 1
    return "\n".join(lines) + "\n", offsets


def _sub(parent: ET.Element, tag: str, **attrs: Any) -> ET.Element:
    return ET.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in attrs.items()})


def _variable_type(values: Sequence[Any]) -> str:
    if values and all(isinstance(v, bool) for v in values):
        return "Boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Integer"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "Float"
    return "Text"


def study_to_qdpx(report: StudyReport, docs: Sequence[TranscriptDoc]) -> bytes:
    ET.register_namespace("", NS)
    now = (report.generated_at if report.generated_at.tzinfo else report.generated_at.replace(tzinfo=UTC))
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    user = _guid("user", "report")
    root = ET.Element(f"{{{NS}}}Project", {"name": f"{report.study} ({report.guide_id})",
                                            "origin": "voice-interview report", "creatingUserGUID": user,
                                            "creationDateTime": stamp})
    users = _sub(root, "Users")
    _sub(users, "User", guid=user, name="Report generator")

    # Codes: one per theme; the ICP fields under one parent code.
    codebook = _sub(root, "CodeBook")
    codes = _sub(codebook, "Codes")
    code_of: dict[str, str] = {}
    for i, theme in enumerate(report.themes):
        code = _sub(codes, "Code", guid=_guid("theme", theme.id, theme.name), name=f"{theme.id}. {theme.name}",
                    isCodable="true", color=_COLORS[i % len(_COLORS)])
        ET.SubElement(code, f"{{{NS}}}Description").text = (
            f"{theme.description} ({theme.interview_count} of {report.n_included} interviews)")
        code_of[f"theme:{theme.id}"] = code.attrib["guid"]
    filled = [f for f in report.icp if f.status == "filled" and f.quotes]
    if filled:
        parent = _sub(codes, "Code", guid=_guid("icp"), name="ICP one-pager", isCodable="false")
        for field in filled:
            code = _sub(parent, "Code", guid=_guid("icp", field.key), name=f"ICP: {field.label}", isCodable="true")
            ET.SubElement(code, f"{{{NS}}}Description").text = field.value or ""
            code_of[f"icp:{field.key}"] = code.attrib["guid"]

    # Variables from the link context (public keys only).
    contexts = {d.interview_id: public_context(d.context) for d in docs}
    keys = sorted({k for c in contexts.values() for k, v in c.items() if isinstance(v, str | int | float | bool)})
    var_type = {k: _variable_type([c[k] for c in contexts.values() if k in c]) for k in keys}
    if keys:
        variables = _sub(root, "Variables")
        for k in keys:
            _sub(variables, "Variable", guid=_guid("var", k), name=k, typeOfVariable=var_type[k])

    source_guid = {d.interview_id: _guid("source", d.interview_id) for d in docs}
    if docs:
        cases = _sub(root, "Cases")
        for doc in docs:
            case = _sub(cases, "Case", guid=_guid("case", doc.interview_id), name=f"Respondent {doc.interview_id}")
            for k in keys:
                if k not in contexts[doc.interview_id]:
                    continue
                value = contexts[doc.interview_id][k]
                vv = _sub(case, "VariableValue")
                _sub(vv, "VariableRef", targetGUID=_guid("var", k))
                tag = {"Text": "TextValue", "Boolean": "BooleanValue", "Integer": "IntegerValue",
                       "Float": "FloatValue"}[var_type[k]]
                text = ("true" if value else "false") if var_type[k] == "Boolean" else str(value)
                ET.SubElement(vv, f"{{{NS}}}{tag}").text = text
            _sub(case, "SourceRef", targetGUID=source_guid[doc.interview_id])

    # Coded selections per source.
    codings: dict[str, list[tuple[Quote, str, str]]] = {}
    for theme in report.themes:
        for q in theme.quotes:
            codings.setdefault(q.interview_id, []).append((q, code_of[f"theme:{theme.id}"], theme.name))
    for field in filled:
        for q in field.quotes:
            codings.setdefault(q.interview_id, []).append((q, code_of[f"icp:{field.key}"], field.label))

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        if docs:
            sources = _sub(root, "Sources")
            for doc in docs:
                text, offsets = source_text(doc)
                guid = source_guid[doc.interview_id]
                src = _sub(sources, "TextSource", guid=guid, name=f"Interview {doc.interview_id}",
                           plainTextPath=f"internal://{guid}.txt", creatingUser=user, creationDateTime=stamp)
                for n, (quote, code_guid, label) in enumerate(codings.get(doc.interview_id, [])):
                    if quote.turn_id not in offsets:
                        continue
                    start = offsets[quote.turn_id] + quote.char_start
                    end = offsets[quote.turn_id] + quote.char_end
                    if text[start:end] != quote.text:
                        continue  # never code a span that is not exactly the quote
                    sel = _sub(src, "PlainTextSelection", guid=_guid("sel", doc.interview_id, n, code_guid, start),
                               name=label[:60], startPosition=start, endPosition=end, creatingUser=user,
                               creationDateTime=stamp)
                    coding = _sub(sel, "Coding", guid=_guid("coding", doc.interview_id, n, code_guid, start),
                                  creatingUser=user, creationDateTime=stamp)
                    _sub(coding, "CodeRef", targetGUID=code_guid)
                zf.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
        desc = ET.SubElement(root, f"{{{NS}}}Description")
        desc.text = f"{report.n_included} of {report.n_interviews} interviews included; generated {stamp}."
        xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        zf.writestr("project.qde", xml)
    return archive.getvalue()
