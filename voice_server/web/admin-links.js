// The Links tab: the reusable study link, personal links one by one or from a CSV, their states and limits.
import { api, copyButton, errorBox, fmtDate, h, stateBadge } from "/static/admin-core.js";

const KNOWN = new Set(["name", "email", "external_id", "private"]);

export async function linksTab(body, study) {
  const list = h("div");
  const message = h("div", { "aria-live": "polite" });

  async function load() {
    const links = await api(`/api/studies/${study.id}/links`);
    const shared = links.filter((l) => l.kind === "shared");
    const others = links.filter((l) => l.kind !== "shared");
    list.replaceChildren(
      h("section", { class: "panel", "aria-labelledby": "shared-title" },
        h("h2", { id: "shared-title" }, "Study link"),
        h("p", { class: "help" }, "One link for everyone (a newsletter, a community post). Each person who opens it gets their own interview."),
        shared.length ? linkTable(shared, false) : h("p", {}, "This study has no shared link.")),
      h("section", { class: "panel", "aria-labelledby": "personal-title" },
        h("div", { class: "head" }, h("h2", { id: "personal-title" }, `Personal links (${others.length})`),
          h("a", { class: "button small", href: `/api/studies/${study.id}/links?format=csv`, download: "" }, "Download as CSV")),
        h("p", { class: "help" }, "One link per respondent: their details reach the interview as context (the guide can say {name})."),
        others.length ? linkTable(others, true) : h("p", {}, "None yet: add respondents below.")));
  }

  function linkTable(links, personal) {
    const head = personal ? ["Respondent", "Email", "Details", "Link", "State", "Uses", "Expires", "Actions"]
      : ["Link", "State", "Uses", "Expires", "Actions"];
    return h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, links.map((l) => {
        const ctx = l.context || {};
        const details = Object.entries(ctx).filter(([k]) => !KNOWN.has(k)).map(([k, v]) => `${k}: ${v}`);
        if (ctx.external_id) details.unshift(`external id: ${ctx.external_id}`);
        const who = l.kind === "test" ? "Researcher test" : (l.label || ctx.name || "");
        const url = h("input", { class: "url", value: l.url, readonly: true, "aria-label": `Interview link for ${who || "the study"}`,
          onfocus: (e) => e.target.select() });
        const cells = [
          h("td", {}, h("div", { class: "row" }, url, copyButton(l.url))),
          h("td", {}, stateBadge(l.state)),
          h("td", { class: "num" }, l.max_uses ? `${l.uses} / ${l.max_uses}` : String(l.uses)),
          h("td", {}, l.expires_at ? fmtDate(l.expires_at) : "Never"),
          h("td", {}, actions(l, who)),
        ];
        return h("tr", { "data-link": l.id }, personal ? [h("td", {}, who), h("td", {}, ctx.email || ""),
          h("td", {}, details.join("; ")), ...cells] : cells);
      }))));
  }

  function actions(link, who) {
    const act = async (label, patch) => {
      try { await api(`/api/links/${link.id}`, { method: "PATCH", body: patch }); await load(); message.replaceChildren(); }
      catch (err) { message.replaceChildren(errorBox(err)); }
    };
    const name = who || "study link";
    const buttons = [];
    if (link.status === "active") buttons.push(h("button", { type: "button", class: "small", "aria-label": `Pause link for ${name}`, onclick: () => act("pause", { status: "paused" }) }, "Pause"));
    if (link.status === "paused") buttons.push(h("button", { type: "button", class: "small", "aria-label": `Resume link for ${name}`, onclick: () => act("resume", { status: "active" }) }, "Resume"));
    if (link.status !== "revoked") {
      buttons.push(h("button", { type: "button", class: "small", "aria-label": `Revoke link for ${name}`, onclick: () => {
        if (confirm(`Revoke the link for ${name}? It stops working for good.`)) act("revoke", { status: "revoked" });
      } }, "Revoke"));
    }
    return h("div", { class: "row" }, buttons);
  }

  body.replaceChildren(message, list, addForm(), csvForm());
  await load();

  function limits(prefix) {
    return [
      h("div", { class: "field" }, h("label", { for: `${prefix}-max` }, "Max interviews (optional)"),
        h("input", { id: `${prefix}-max`, type: "number", min: 1, step: 1, inputmode: "numeric" })),
      h("div", { class: "field" }, h("label", { for: `${prefix}-expires` }, "Expires (optional)"),
        h("input", { id: `${prefix}-expires`, type: "datetime-local" })),
    ];
  }
  function readLimits(prefix) {
    const max = document.getElementById(`${prefix}-max`).value;
    const exp = document.getElementById(`${prefix}-expires`).value;
    return { max_uses: max ? Number(max) : null, expires_at: exp ? new Date(exp).toISOString() : null };
  }

  function addForm() {
    const f = (id, label, type = "text") => h("div", { class: "field" }, h("label", { for: id }, label),
      h("input", { id, type, autocomplete: "off" }));
    const form = h("form", { class: "panel", "aria-labelledby": "add-title" },
      h("h2", { id: "add-title" }, "Add a respondent"),
      h("div", { class: "grid" }, f("add-name", "Name"), f("add-email", "Email", "email"), f("add-external", "External id"),
        ...limits("add"), h("button", { type: "submit", class: "primary" }, "Create link")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const val = (id) => document.getElementById(id).value.trim();
      if (!val("add-name") && !val("add-email") && !val("add-external")) {
        message.replaceChildren(errorBox("Give at least a name, an email or an external id."));
        return;
      }
      try {
        await api(`/api/studies/${study.id}/links`, { method: "POST", body: {
          name: val("add-name"), email: val("add-email"), external_id: val("add-external"), ...readLimits("add") } });
        form.reset();
        message.replaceChildren(h("p", { class: "notice" }, "Link created."));
        await load();
      } catch (err) { message.replaceChildren(errorBox(err)); }
    });
    return form;
  }

  function csvForm() {
    const file = h("input", { id: "csv-file", type: "file", accept: ".csv,text/csv", "aria-describedby": "csv-help" });
    const form = h("form", { class: "panel", "aria-labelledby": "csv-title" },
      h("h2", { id: "csv-title" }, "Upload respondents (CSV)"),
      h("p", { class: "help", id: "csv-help" }, "First row: column names. name, email and external_id are recognised; every other "
        + "column (company, role, segment…) is kept as the respondent's context, usable in the guide as {company}. "
        + "The external id is never spoken. One link per row."),
      h("div", { class: "grid" }, h("div", { class: "field" }, h("label", { for: "csv-file" }, "CSV file"), file),
        ...limits("csv"), h("button", { type: "submit", class: "primary" }, "Upload and create links")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!file.files.length) { message.replaceChildren(errorBox("Choose a CSV file first.")); return; }
      const { max_uses, expires_at } = readLimits("csv");
      const q = new URLSearchParams();
      if (max_uses) q.set("max_uses", max_uses);
      if (expires_at) q.set("expires_at", expires_at);
      try {
        const made = await api(`/api/studies/${study.id}/links/csv?${q}`, { method: "POST", raw: await file.files[0].text(), type: "text/csv" });
        form.reset();
        message.replaceChildren(h("p", { class: "notice" }, `Created ${made.length} personal links.`));
        await load();
      } catch (err) { message.replaceChildren(errorBox(err)); }
    });
    return form;
  }
}
