// The respondent call page: consent, then the interview by voice or by typing, with captions,
// a visible state, a level meter, mute, end, and reconnects that resume the same interview.
import { CallAudio } from "/static/call-audio.js";
import { Connection } from "/static/call-connection.js";

const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split("/")[2] || "");
const storeKey = `voice-interview:${token}`;
const STATUS = {
  connecting: "Connecting…", speaking: "Interviewer speaking", listening: "Listening: your turn",
  thinking: "Thinking…", reconnecting: "Reconnecting…", typing: "Your turn: type your answer",
};
const ENDED = {
  completed: ["Thank you", "That's the end of the interview. Your answers are saved; you can close this page."],
  declined: ["No problem", "Nothing more will be recorded. Thank you for your time; you can close this page."],
  hungup: ["Interview ended", "You ended the interview. What you said so far is saved. Thank you."],
  elsewhere: ["Continued elsewhere", "This interview continued in another window or tab."],
};

const audio = new CallAudio();
let conn = null;
let textMode = false;
let muted = false;
let serverState = "connecting";
let connectionNotice = false; // the notice shown is about the connection (cleared once it is back)
// What survives a reload of this tab: the interview to resume and the transcript shown so far.
let saved = loadSaved();

function loadSaved() {
  try { return JSON.parse(sessionStorage.getItem(storeKey)) || { id: null, log: [] }; }
  catch { return { id: null, log: [] }; }
}
function persist() { try { sessionStorage.setItem(storeKey, JSON.stringify(saved)); } catch { /* private mode */ } }

function show(id) {
  for (const s of ["loading", "unavailable", "consent", "welcome-back", "call", "ended"]) $(s).hidden = s !== id;
}

function notice(text, kind = "") {
  const el = $("notice");
  el.textContent = text || "";
  el.className = `notice ${kind}`;
  el.hidden = !text;
}

function setStatus(state) {
  const shown = state === "listening" && textMode ? "typing" : state;
  const el = $("status");
  el.dataset.state = state;
  el.textContent = STATUS[shown] || state;
}

// -- transcript log --------------------------------------------------------------

function addLog(who, text, typed = false, store = true) {
  const li = document.createElement("li");
  li.className = who === "you" ? "you" : "moderator";
  const name = document.createElement("span");
  name.className = "who";
  name.textContent = who === "you" ? "You" : "Interviewer";
  li.append(name, document.createTextNode(text));
  if (typed) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "typed";
    li.append(" ", badge);
  }
  $("log").append(li);
  if (store) { saved.log.push({ who, text, typed }); persist(); }
}

// -- modes: voice or text ----------------------------------------------------------

async function useVoice() {
  try {
    await audio.openMic();
  } catch (err) {
    const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
    notice(denied
      ? "The microphone is blocked. You can keep going by typing, or allow the microphone in your browser's site settings and press Use microphone."
      : "No microphone could be opened. You can keep going by typing.", "warn");
    return useText();
  }
  textMode = false;
  notice("");
  syncControls();
}

function useText() {
  audio.closeMic(); // typing means the microphone is off, not just ignored
  textMode = true;
  syncControls();
  $("answer").focus();
}

function syncControls() {
  $("text-form").hidden = !textMode;
  $("mode").textContent = textMode ? "Use microphone" : "Type instead";
  $("mute").hidden = textMode;
  $("mic-box").hidden = textMode;
  $("mute").setAttribute("aria-pressed", String(muted));
  $("mute").textContent = muted ? "Unmute" : "Mute";
  $("mic-label").textContent = muted ? "Microphone muted" : "Microphone";
  if (muted) $("meter-fill").style.width = "0";
  setStatus(serverState);
}

audio.onChunk = (pcm, level) => {
  if (!muted) $("meter-fill").style.width = `${Math.min(100, Math.round(Math.sqrt(level) * 180))}%`;
  // Muted still streams, as silence: the server's turn-taking needs a continuous microphone.
  if (conn) conn.sendAudio(muted ? new ArrayBuffer(pcm.byteLength) : pcm);
};
// Without a microphone (typing, or none allowed) the page streams silence instead, in real time: the
// protocol expects a continuous stream, the server ends calls that go quiet altogether (a vanished
// client), and the recording's clock keeps running so typed turns sit at their real moments.
let silenceSentAt = 0;
setInterval(() => {
  const now = performance.now();
  const due = Math.min(1000, now - silenceSentAt); // a throttled background tab catches up, at most 1 s
  silenceSentAt = now;
  if (!conn || audio.micOpen || due < 20) return;
  conn.sendAudio(new ArrayBuffer(Math.round(due * 16) * 2)); // 16 samples per ms, 2 bytes each
}, 200);

audio.onMicLost = () => { notice("The microphone stopped. You can type instead.", "warn"); useText(); };

// -- the interview -------------------------------------------------------------------

function wsUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/interview/${encodeURIComponent(token)}`;
}

async function begin(voice) {
  show("call");
  setStatus("connecting");
  await audio.start(); // inside the click: autoplay rules allow the moderator's voice
  if (voice) await useVoice(); else useText();
  conn = new Connection(wsUrl(), {
    makeStart: () => ({ type: "start", encoding: "pcm_s16le", sample_rate: 16000, channels: 1, client: "web-call",
      ...(saved.id ? { resume: saved.id } : {}) }),
    onReady: (e) => {
      saved.id = e.interview_id;
      persist();
      if (e.resumed) notice("Reconnected. Let's continue where we were.");
      else if (connectionNotice) notice("");
      connectionNotice = false;
    },
    onEvent: handle,
    onAudio: (buf) => audio.play(buf),
    onRetrying: (attempt) => {
      audio.stopPlayback();
      setStatus("reconnecting");
      connectionNotice = true;
      notice(`Connection lost. Reconnecting (attempt ${attempt})… Nothing you said is lost.`, "warn");
    },
    onGaveUp: () => {
      notice("We could not reconnect. Check your connection, then press Reconnect.", "error");
      if (!document.getElementById("reconnect")) $("mode").after(reconnectButton());
    },
    onClosed: finish,
  });
  conn.open();
}

function reconnectButton() {
  const b = document.createElement("button");
  b.type = "button";
  b.id = "reconnect";
  b.className = "primary";
  b.textContent = "Reconnect";
  b.addEventListener("click", () => { b.remove(); conn.reconnect(); });
  return b;
}

function handle(e) {
  switch (e.type) {
    case "state":
      serverState = e.state;
      setStatus(e.state);
      break;
    case "question": {
      $("caption").textContent = e.text;
      const last = [...saved.log].reverse().find((x) => x.who === "moderator");
      if (!(e.repeat && last && last.text === e.text)) addLog("moderator", e.text); // a repeat is not a new turn
      break;
    }
    case "audio_start":
      audio.begin();
      break;
    case "audio_end":
      audio.finish(() => conn.send({ type: "playback_done", seq: e.seq }));
      break;
    case "transcript": {
      const typed = e.mode === "text";
      $("heard").textContent = typed ? `${e.text} (typed)` : e.text;
      addLog("you", e.text, typed);
      break;
    }
    case "error":
      if (e.fatal) {
        conn.close("error");
        if (e.code === "cannot_resume") { saved = { id: null, log: [] }; persist(); }
        finish("error", e.message);
      } else if (e.code === "asr_failed") {
        notice("Sorry, we could not catch that. Please say it again.", "warn");
      } else if (e.code === "tts_failed") {
        notice("The interviewer's voice failed for this question; please read it above.", "warn");
      }
      break;
    case "ended":
      conn.close(e.status);
      finish(e.status);
      break;
    default:
      break;
  }
}

let finished = false;

function finish(reason, message) {
  if (finished) return; // the close that follows `ended` or a fatal error reports the same end again
  finished = true;
  audio.closeMic();
  if (reason !== "error") { saved = { id: null, log: [] }; persist(); } // over: a reload starts afresh
  const [title, text] = ENDED[reason] || ["The interview stopped", capitalise(message) || "Something went wrong."];
  $("ended-title").textContent = title;
  $("ended-text").textContent = text;
  for (const el of [document.querySelector(".status-row"), document.querySelector(".controls"), $("text-form"),
    $("confirm-end"), $("notice")]) el.hidden = true;
  $("ended").hidden = false;
  $("ended").after($("call")); // the thank-you above the transcript, which stays readable
  $("ended-title").setAttribute("tabindex", "-1");
  $("ended-title").focus();
}

function capitalise(s) { return s ? s[0].toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".") : s; }

// -- controls -------------------------------------------------------------------------

function wire() {
  const start = (voice) => () => {
    if (!$("agree").checked) { $("agree-error").hidden = false; $("agree").focus(); return; }
    begin(voice);
  };
  $("start-voice").addEventListener("click", start(true));
  $("start-text").addEventListener("click", start(false));
  $("agree").addEventListener("change", () => { if ($("agree").checked) $("agree-error").hidden = true; });
  $("continue-voice").addEventListener("click", () => begin(true));
  $("continue-text").addEventListener("click", () => begin(false));
  $("mute").addEventListener("click", () => { muted = !muted; syncControls(); });
  $("mode").addEventListener("click", () => (textMode ? useVoice() : useText()));
  $("end").addEventListener("click", () => { $("confirm-end").hidden = false; $("end-no").focus(); });
  $("end-no").addEventListener("click", () => { $("confirm-end").hidden = true; $("end").focus(); });
  $("end-yes").addEventListener("click", () => {
    conn.send({ type: "end" });
    conn.close("hungup");
    audio.stopPlayback();
    finish("hungup");
  });
  $("text-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("answer").value.trim();
    if (!text || !conn) return;
    conn.send({ type: "text", text });
    $("answer").value = "";
    $("heard").textContent = "Sending…";
  });
  $("answer").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("text-form").requestSubmit(); }
  });
}

async function init() {
  wire();
  let info;
  try {
    const r = await fetch(`/i/${encodeURIComponent(token)}/info`, { cache: "no-store" });
    info = await r.json();
  } catch {
    info = { state: "offline" };
  }
  if (info.study) { $("study-name").textContent = info.study; document.title = `${info.study}: interview`; }
  if (info.minutes) $("study-length").textContent = `About ${Math.round(info.minutes)} minutes`;
  $("intro").textContent = info.intro || "Thank you for taking part. An AI interviewer will ask you a few questions.";
  const resumable = saved.id && (info.state === "active" || info.state === "used_up");
  if (!resumable && info.state !== "active") {
    $("unavailable-text").textContent = {
      unknown: "This link does not exist. Please check that you copied all of it.",
      paused: "This interview is paused for now. Please try again later.",
      revoked: "This link has been withdrawn by the research team.",
      expired: "This link has expired.",
      used_up: "This link has already been used.",
      offline: "We could not reach the server. Check your connection and reload the page.",
    }[info.state] || "This study cannot run right now.";
    return show("unavailable");
  }
  saved.log.forEach((x) => addLog(x.who, x.text, x.typed, false));
  show(resumable ? "welcome-back" : "consent");
}

init();
