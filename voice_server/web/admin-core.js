// Dashboard basics: API calls, DOM building (text only, never HTML from data), formatting.

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : (detail && detail.message) || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/** Call the API with the session cookie; non-GET requests carry X-Voice-Admin (the server's CSRF check). */
export async function api(path, { method = "GET", body, raw, type } = {}) {
  const headers = {};
  if (method !== "GET") headers["X-Voice-Admin"] = "1";
  let payload;
  if (raw !== undefined) { payload = raw; headers["Content-Type"] = type || "text/plain"; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
  const r = await fetch(path, { method, headers, body: payload, credentials: "same-origin", cache: "no-store" });
  const data = (r.headers.get("content-type") || "").includes("json") ? await r.json() : await r.text();
  if (r.status === 401) onUnauthorized();
  if (!r.ok) throw new ApiError(r.status, data && data.detail !== undefined ? data.detail : data);
  return data;
}

/** h("a", {href: "#"}, "text", child): an element; strings become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function mount(...children) {
  const view = document.getElementById("view");
  view.replaceChildren(...children);
  return view;
}

export function fmtDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function fmtTime(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export const STATE_NAMES = {
  active: "Active", paused: "Paused", revoked: "Revoked", expired: "Expired", used_up: "Used up",
  in_progress: "In progress", completed: "Completed", declined: "Declined", interrupted: "Interrupted", failed: "Failed",
};

export function stateBadge(state) {
  return h("span", { class: `state state-${state}` }, STATE_NAMES[state] || state);
}

/** A button that copies `text` and says so (for screen readers too, via its label). */
export function copyButton(text, label = "Copy") {
  const b = h("button", { type: "button", class: "small" }, label);
  b.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(text); b.textContent = "Copied"; } catch { b.textContent = "Select and copy"; }
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}

export function errorBox(err) {
  return h("p", { class: "notice error", role: "alert" }, err instanceof Error ? err.message : String(err));
}

// Timers a view starts (polling) are stopped when the route changes.
const timers = new Set();
export function every(ms, fn) { const t = setInterval(fn, ms); timers.add(t); return t; }
export function stopTimers() { timers.forEach(clearInterval); timers.clear(); }
