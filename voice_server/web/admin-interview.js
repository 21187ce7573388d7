// One interview: the recording, the transcript (a click on a turn plays it from there), downloads,
// and, while the interview is in progress, a live view that polls the transcript.
import { api, every, fmtDate, fmtTime, h, mount, stateBadge } from "/static/admin-core.js";

const FORMATS = [["json", "JSON"], ["txt", "Text"], ["csv", "CSV"], ["vtt", "WebVTT"], ["srt", "SRT"]];

export async function interviewView(id, seekTo) {
  let doc = await api(`/api/interviews/${id}/transcript?format=json`);
  const audio = h("audio", { class: "player", controls: true, preload: "metadata", src: `/api/interviews/${id}/audio` });
  const turns = h("ol", { class: "turns", "aria-label": "Transcript: choose a turn to play it" });
  const meta = h("dl", { class: "meta" });
  const liveBadge = h("span", { class: "badge live", hidden: true }, "Live");
  const shown = new Map(); // turn id -> button, so polling only appends new turns

  function drawMeta() {
    const ctx = Object.entries(doc.context || {}).filter(([k]) => k !== "private");
    meta.replaceChildren(
      h("dt", {}, "Status"), h("dd", {}, stateBadge(doc.status)),
      h("dt", {}, "Started"), h("dd", {}, fmtDate(doc.started_at)),
      h("dt", {}, "Length"), h("dd", {}, fmtTime(doc.duration_s)),
      h("dt", {}, "Channel"), h("dd", {}, doc.channel),
      ...ctx.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "string" ? v : JSON.stringify(v))]));
    liveBadge.hidden = doc.status !== "in_progress";
  }

  function drawTurns() {
    for (const t of doc.turns) {
      if (shown.has(t.id)) continue;
      const who = t.speaker === "respondent" ? "Respondent" : "Interviewer";
      const b = h("button", { type: "button", "data-start": t.start_s, "data-end": t.end_s,
        "aria-label": `${who} at ${fmtTime(t.start_s)}: play from here` },
        h("span", { class: "time" }, fmtTime(t.start_s)),
        h("span", { class: "who" }, who),
        h("span", { class: "text" }, t.text,
          t.mode === "text" ? [" ", h("span", { class: "badge" }, "typed")] : null,
          t.complete === false ? [" ", h("span", { class: "badge", title: "cut off by a hang-up" }, "incomplete")] : null));
      b.addEventListener("click", () => play(t.start_s));
      shown.set(t.id, b);
      turns.append(h("li", { class: t.speaker }, b));
    }
  }

  function play(seconds) {
    audio.currentTime = seconds; // needs HTTP Range on the recording: the endpoint serves it
    audio.play().catch(() => {});
  }

  audio.addEventListener("timeupdate", () => {
    for (const b of shown.values()) {
      const on = audio.currentTime >= Number(b.dataset.start) && audio.currentTime < Number(b.dataset.end);
      b.classList.toggle("playing", on && !audio.paused);
    }
  });
  if (seekTo !== null) audio.addEventListener("loadedmetadata", () => { audio.currentTime = seekTo; }, { once: true });

  const answers = Object.entries(doc.answers || {});
  drawMeta();
  drawTurns();
  mount(
    h("div", { class: "head" },
      h("h1", {}, doc.context && doc.context.name ? `Interview with ${doc.context.name}` : "Interview", " ", liveBadge),
      h("a", { href: `#/study/${doc.study_id}/interviews` }, `Back to ${doc.study || "the study"}`)),
    h("section", { class: "panel" }, meta),
    h("section", { class: "panel", "aria-label": "Recording" }, audio,
      h("div", { class: "downloads", role: "group", "aria-label": "Downloads" },
        FORMATS.map(([f, label]) => h("a", { class: "button small", href: `/api/interviews/${id}/transcript?format=${f}`, download: "" }, `Transcript ${label}`)),
        h("a", { class: "button small", href: `/api/interviews/${id}/audio`, download: "" }, "Recording (WAV)"))),
    h("section", {}, h("h2", {}, "Transcript"), turns),
    answers.length ? h("section", { class: "panel" }, h("h2", {}, "Structured answers"), h("dl", { class: "meta" },
      answers.flatMap(([q, a]) => [h("dt", {}, q), h("dd", {}, summary(a))]))) : null,
  );

  if (doc.status === "in_progress") {
    const timer = every(2000, async () => {
      try { doc = await api(`/api/interviews/${id}/transcript?format=json`); } catch { return; }
      drawTurns();
      drawMeta();
      if (doc.status !== "in_progress") {
        clearInterval(timer);
        audio.src = `/api/interviews/${id}/audio?t=${Date.now()}`; // the finished recording
      }
    });
  }
}

function summary(answer) {
  if (answer === null || typeof answer !== "object") return String(answer);
  const value = answer.value !== undefined ? answer.value : answer;
  return typeof value === "string" ? value : JSON.stringify(value);
}
