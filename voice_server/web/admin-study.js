// One study: its interviews, links, guide and report, as tabs.
import { api, errorBox, every, fmtDate, fmtTime, h, mount, stateBadge } from "/static/admin-core.js";
import { guideEditor } from "/static/admin-guide.js";
import { linksTab } from "/static/admin-links.js";

const TABS = [["interviews", "Interviews"], ["links", "Links"], ["guide", "Guide"], ["report", "Report"]];
const REPORT_FORMATS = [["html", "HTML"], ["md", "Markdown"], ["json", "JSON"], ["qdpx", "QDPX (for QDA software)"]];

export async function studyView(id, tab) {
  const study = await api(`/api/studies/${id}`);
  const body = h("section", { id: "tab-body" });
  mount(
    h("div", { class: "head" },
      h("div", {}, h("h1", {}, study.name), h("p", { class: "help" }, study.guide.ok
        ? `${study.guide.questions} questions, about ${Math.round(study.guide.minutes)} minutes · created ${fmtDate(study.created_at)}`
        : "The saved guide has problems: fix it under Guide.")),
      tryButton(id)),
    h("nav", { class: "tabs", "aria-label": "Study sections" }, TABS.map(([key, label]) =>
      h("a", { href: `#/study/${id}/${key}`, "aria-current": key === tab ? "page" : null }, label))),
    body);
  const render = { interviews: interviewsTab, links: linksTab, guide: guideTab, report: reportTab }[tab] || interviewsTab;
  await render(body, study);
}

function tryButton(id) {
  const b = h("button", { type: "button" }, "Take the interview yourself");
  b.addEventListener("click", async () => {
    // Opened first (inside the click) so popup blockers allow it; pointed at the test link once it exists.
    const win = window.open("about:blank", "_blank");
    const link = await api(`/api/studies/${id}/try`, { method: "POST" });
    if (win) win.location = link.url; else location.href = link.url;
  });
  return h("div", { class: "row" }, b);
}

async function interviewsTab(body, study) {
  const table = h("tbody");
  const count = h("p", { class: "help", "aria-live": "polite" });
  async function load() {
    const rows = await api(`/api/studies/${study.id}/interviews`);
    count.textContent = rows.length ? `${rows.length} interviews. This list refreshes itself.` : "No interviews yet. Share a link from the Links tab.";
    table.replaceChildren(...rows.map((r) => h("tr", {},
      h("td", {}, h("a", { href: `#/interview/${r.id}` }, fmtDate(r.started_at))),
      h("td", {}, r.respondent || (r.link_label === "Researcher test" ? "Researcher test" : "Anonymous")),
      h("td", {}, stateBadge(r.status), r.status === "in_progress" ? [" ", h("span", { class: "badge live" }, "Live")] : null),
      h("td", {}, r.channel),
      h("td", { class: "num" }, fmtTime(r.duration_s)),
      h("td", { class: "num" }, r.answers),
      h("td", { class: "num" }, r.quality === null ? h("span", { class: "muted", title: "not scored yet" }, "–") : r.quality.toFixed(1)))));
  }
  await load();
  every(5000, () => load().catch(() => {}));
  body.replaceChildren(count, h("div", { class: "table-wrap" }, h("table", {},
    h("caption", { class: "visually-hidden" }, "Interviews in this study"),
    h("thead", {}, h("tr", {}, ["Started", "Respondent", "Status", "Channel", "Length", "Answers", "Quality (1-5)"].map((t, i) =>
      h("th", { scope: "col", class: i >= 4 ? "num" : null }, t)))),
    table)));
}

async function guideTab(body, study) {
  const editor = guideEditor(study.guide_yaml);
  const name = h("input", { id: "study-name", value: study.name, maxlength: 200 });
  const message = h("div", { "aria-live": "assertive" });
  const form = h("form", { class: "panel" },
    h("div", { class: "field" }, h("label", { for: "study-name" }, "Study name"), name),
    editor.element, message,
    h("p", { class: "help" }, "Changes apply to interviews that start after you save; interviews already running keep their guide."),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Save guide")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api(`/api/studies/${study.id}`, { method: "PUT", body: { name: name.value, guide_yaml: editor.value() } });
      message.replaceChildren(h("p", { class: "notice" }, "Saved."));
    } catch (err) {
      if (err.status === 422 && err.detail && err.detail.problems) editor.showProblems({ ok: false, ...err.detail });
      message.replaceChildren(errorBox(err.status === 422 ? "Not saved: fix the guide's problems first." : err));
    }
  });
  body.replaceChildren(form);
}

async function reportTab(body, study) {
  const base = `/api/studies/${study.id}/report`;
  const frame = h("iframe", { class: "report-frame", title: `Report for ${study.name}`, src: `${base}?format=html` });
  const note = h("div", { "aria-live": "polite" });
  // The report engine's endpoint renders the page (charts, quotes that link to their moment in the
  // recording). Until it exists, or when it refuses, the frame holds JSON: say so instead.
  frame.addEventListener("load", () => {
    let doc = null;
    try { doc = frame.contentDocument; } catch { /* not same-origin */ }
    if (doc && doc.contentType && doc.contentType.includes("json")) {
      let detail = "";
      try { detail = JSON.parse(doc.body.textContent).detail; } catch { /* plain text */ }
      frame.hidden = true;
      note.replaceChildren(h("p", { class: "notice warn" }, "No report is available for this study yet",
        typeof detail === "string" && detail && detail !== "Not Found" ? `: ${detail}` : ".",
        " Reports are built from completed interviews."));
    }
  });
  body.replaceChildren(
    h("div", { class: "downloads", role: "group", "aria-label": "Download the report" },
      REPORT_FORMATS.map(([f, label]) => h("a", { class: "button small", href: `${base}?format=${f}`, download: "" }, `Download ${label}`)),
      h("a", { class: "button small", href: `${base}?format=html`, target: "_blank", rel: "noopener" }, "Open in a new tab")),
    note, frame);
}
