// The researcher dashboard: sign-in, the hash router, the study list and new studies.
// Routes: #/  #/new  #/study/ID[/interviews|/links|/guide|/report]  #/interview/ID[?t=SECONDS]
import { api, errorBox, fmtDate, h, mount, setUnauthorizedHandler, stopTimers } from "/static/admin-core.js";
import { guideEditor, templatePicker } from "/static/admin-guide.js";
import { interviewView } from "/static/admin-interview.js";
import { studyView } from "/static/admin-study.js";

async function route() {
  stopTimers();
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  const params = new URLSearchParams(query || "");
  try {
    if (parts[0] === "new") await newStudyView();
    else if (parts[0] === "study" && parts[1]) await studyView(Number(parts[1]), parts[2] || "interviews");
    else if (parts[0] === "interview" && parts[1]) await interviewView(parts[1], Number(params.get("t")) || null);
    else await studiesView();
  } catch (err) {
    if (err.status !== 401) mount(errorBox(err));
  }
  const heading = document.querySelector("#view h1");
  if (heading) document.title = `${heading.textContent} · Research dashboard`;
}

async function studiesView() {
  const studies = await api("/api/overview");
  const rows = studies.map((s) => h("tr", {},
    h("td", {}, h("a", { href: `#/study/${s.id}` }, s.name)),
    h("td", { class: "num" }, s.interviews), h("td", { class: "num" }, s.completed),
    h("td", { class: "num" }, s.in_progress), h("td", { class: "num" }, s.links), h("td", {}, fmtDate(s.created_at))));
  mount(
    h("div", { class: "head" }, h("h1", {}, "Studies"), h("a", { class: "button primary", href: "#/new" }, "New study")),
    studies.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "visually-hidden" }, "Your studies"),
      h("thead", {}, h("tr", {}, ["Study", "Interviews", "Completed", "In progress", "Links", "Created"].map((t, i) =>
        h("th", { scope: "col", class: i && i < 5 ? "num" : null }, t)))),
      h("tbody", {}, rows)))
      : h("p", { class: "panel" }, "No studies yet. Create one from a methodology template or your own guide."),
  );
}

async function newStudyView() {
  const editor = guideEditor("");
  const name = h("input", { id: "study-name", required: true, maxlength: 200, autocomplete: "off" });
  const message = h("div", { "aria-live": "assertive" });
  const form = h("form", { class: "panel", novalidate: true },
    h("div", { class: "grid" },
      h("div", { class: "field" }, h("label", { for: "study-name" }, "Study name"), name),
      await templatePicker(editor)),
    editor.element,
    message,
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Create study")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!name.value.trim()) { message.replaceChildren(errorBox("Give the study a name.")); name.focus(); return; }
    try {
      const study = await api("/api/studies", { method: "POST", body: { name: name.value, guide_yaml: editor.value() } });
      location.hash = `#/study/${study.id}/links`;
    } catch (err) {
      if (err.status === 422 && err.detail && err.detail.problems) editor.showProblems({ ok: false, ...err.detail });
      message.replaceChildren(errorBox(err.status === 422 ? "Fix the guide's problems, then create the study." : err));
    }
  });
  mount(h("div", { class: "head" }, h("h1", {}, "New study")),
    h("p", { class: "help" }, "Pick a methodology template and adapt it, or paste your own guide. "
      + "It is checked as you type; a study can only be created from a valid guide."), form);
  name.focus();
}

// -- sign-in ------------------------------------------------------------------------------

function loginView(problem) {
  const input = h("input", { id: "token", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "panel" },
    h("h1", {}, "Sign in"),
    h("p", {}, "Enter the admin token. voice-interview serve prints a dashboard link that signs you in, and keeps "
      + "the token in the data directory (the admin_token file), unless VOICE_ADMIN_TOKEN sets one."),
    problem ? errorBox(problem) : null,
    h("div", { class: "field" }, h("label", { for: "token" }, "Admin token"), input),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Sign in")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await signIn(input.value) ? start() : loginView("That token is not right.");
  });
  document.getElementById("nav").hidden = true;
  mount(form);
  input.focus();
}

async function signIn(token) {
  const r = await fetch("/admin/login", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token }),
    credentials: "same-origin",
  });
  return r.ok;
}

async function signOut() {
  await fetch("/admin/logout", { method: "POST", credentials: "same-origin" });
  loginView();
}

async function start() {
  // A link printed by `serve` carries the token in the fragment (never sent to the server): sign in with
  // it once, then drop it from the address bar and the history.
  const m = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (m) {
    const ok = await signIn(decodeURIComponent(m[1]));
    history.replaceState(null, "", `${location.pathname}#/`);
    if (!ok) return loginView("The token in that link is not right.");
  }
  const session = await (await fetch("/admin/session", { credentials: "same-origin", cache: "no-store" })).json();
  if (!session.signed_in) return loginView();
  document.getElementById("open-warning").hidden = session.token_required;
  document.getElementById("nav").hidden = false;
  document.getElementById("sign-out").hidden = !session.token_required;
  route();
}

setUnauthorizedHandler(() => loginView("Your session has ended; sign in again."));
document.getElementById("sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", () => { route(); document.getElementById("view").focus(); });
start();
