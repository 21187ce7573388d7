// The guide editor: YAML with line numbers, checked as you type; each problem the server's guide parser
// reports (field path and line) is listed under the editor and marked on its line.
import { api, h } from "/static/admin-core.js";

export function guideEditor(yaml = "") {
  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
  const area = h("textarea", {
    id: "guide-yaml", spellcheck: "false", autocapitalize: "off", autocomplete: "off", wrap: "off",
    "aria-describedby": "guide-status",
  });
  const status = h("div", { id: "guide-status", role: "status", "aria-live": "polite" });
  let bad = new Set();
  let seq = 0;
  let timer = null;
  let last = null; // the latest check's result

  function drawGutter() {
    const n = area.value.split("\n").length;
    const lines = [];
    for (let i = 1; i <= n; i++) lines.push(bad.has(i) ? h("span", { class: "bad", title: "problem on this line" }, String(i)) : String(i), "\n");
    gutter.replaceChildren(...lines);
    gutter.scrollTop = area.scrollTop;
  }

  function goToLine(line) {
    const starts = [0];
    for (let i = 0; i < area.value.length; i++) if (area.value[i] === "\n") starts.push(i + 1);
    const start = starts[line - 1] ?? 0;
    const end = (starts[line] ?? area.value.length + 1) - 1;
    area.focus();
    area.setSelectionRange(start, end);
    area.scrollTop = Math.max(0, (line - 4) * parseFloat(getComputedStyle(area).lineHeight));
    gutter.scrollTop = area.scrollTop;
  }

  function show(result) {
    last = result;
    bad = new Set((result.problems || []).map((p) => p.line).filter(Boolean));
    area.setAttribute("aria-invalid", String(!result.ok));
    if (result.ok) {
      status.replaceChildren(h("p", { class: "notice" },
        `Valid guide: “${result.title}”, ${result.questions} questions, about ${Math.round(result.minutes)} minutes.`));
    } else {
      status.replaceChildren(h("div", { class: "notice error" },
        h("strong", {}, "This guide has problems:"),
        h("ul", { class: "problems" }, (result.problems || []).map((p) => h("li", {},
          p.line ? h("button", { type: "button", onclick: () => goToLine(p.line) }, `Line ${p.line}: ${p.message}`)
            : p.message)))));
    }
    drawGutter();
  }

  async function check() {
    const mine = ++seq;
    try {
      const result = await api("/api/guides/check", { method: "POST", body: { guide_yaml: area.value } });
      if (mine === seq) show(result); // an older answer must not overwrite a newer one
      return result;
    } catch (err) {
      if (mine === seq) status.replaceChildren(h("p", { class: "notice error" }, `Could not check the guide: ${err.message}`));
      return null;
    }
  }

  area.addEventListener("input", () => { drawGutter(); clearTimeout(timer); timer = setTimeout(check, 350); });
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });
  area.addEventListener("keydown", (e) => { // Tab indents (YAML wants spaces); Escape then Tab leaves the editor
    if (e.key === "Tab" && !e.shiftKey && !area.dataset.escaped) {
      e.preventDefault();
      area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
    if (e.key === "Escape") area.dataset.escaped = "1";
  });
  area.addEventListener("blur", () => { delete area.dataset.escaped; });

  const element = h("div", { class: "field" },
    h("label", { for: "guide-yaml" }, "Interview guide (YAML)"),
    h("p", { class: "help", id: "guide-help" }, "Tab indents; press Escape, then Tab, to leave the editor. "
      + "Questions, probes and timing are described in docs/guides.md."),
    h("div", { class: "editor" }, gutter, area),
    status);

  function setValue(text) { area.value = text; drawGutter(); return check(); }
  setValue(yaml);
  return { element, setValue, check, value: () => area.value, result: () => last, showProblems: show };
}

/** A <select> of the bundled methodology templates; choosing one loads it into the editor. */
export async function templatePicker(editor) {
  const select = h("select", { id: "template" }, h("option", { value: "" }, "Choose a template…"));
  const list = await api("/api/templates");
  for (const t of list) select.append(h("option", { value: t.name }, `${t.title} (${t.questions} questions)`));
  select.addEventListener("change", async () => {
    if (!select.value) return;
    const t = await api(`/api/templates/${encodeURIComponent(select.value)}`);
    await editor.setValue(t.guide_yaml);
  });
  return h("div", { class: "field" }, h("label", { for: "template" }, "Start from a methodology template"), select);
}
