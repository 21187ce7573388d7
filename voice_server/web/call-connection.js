// The interview websocket with reconnects (docs/protocol.md). A dropped connection is retried with
// backoff; the caller's `makeStart()` puts the interview id in `resume`, so the server continues the
// same interview: a question left unanswered is asked again, nothing is stored twice.

const DELAYS_S = [0.5, 1, 2, 4, 8, 15]; // then 15 s each
const MAX_ATTEMPTS = 12; // about two minutes of trying before asking the respondent
const STALL_BYTES = 256 * 1024; // ~8 s of audio stuck in the send buffer: the network is gone

export class Connection {
  /**
   * @param {string} url ws(s)://host/ws/interview/TOKEN
   * @param {object} h handlers: makeStart() -> start message, onEvent(event), onAudio(ArrayBuffer),
   *   onReady(event), onRetrying(attempt, seconds), onGaveUp(), onClosed(reason)
   */
  constructor(url, h) {
    this.url = url;
    this.h = h;
    this.ws = null;
    this.final = false; // set by the page when the interview is over: no more reconnects
    this.attempt = 0;
    this.timer = null;
    this.isReady = false;
    this.onOnline = () => { if (this.timer) { clearTimeout(this.timer); this.timer = null; this.open(); } };
    window.addEventListener("online", this.onOnline);
  }

  open() {
    if (this.final) return;
    this.isReady = false;
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify(this.h.makeStart()));
    ws.onmessage = (e) => {
      if (ws !== this.ws) return; // a stale socket from before a reconnect
      if (typeof e.data !== "string") return this.h.onAudio(e.data);
      let event;
      try { event = JSON.parse(e.data); } catch { return; }
      if (event.type === "ready") {
        this.isReady = true;
        this.attempt = 0;
        this.h.onReady(event);
      } else {
        this.h.onEvent(event);
      }
    };
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      this.isReady = false;
      // The server closes 1000 "interrupted" on its own only when another window took this interview over.
      if (!this.final && e.code === 1000 && e.reason === "interrupted") this.final = "elsewhere";
      if (this.final) return this.h.onClosed(this.final);
      this.retry();
    };
  }

  retry() {
    if (this.final || this.timer) return;
    if (this.attempt >= MAX_ATTEMPTS) return this.h.onGaveUp();
    const base = DELAYS_S[Math.min(this.attempt, DELAYS_S.length - 1)];
    const wait = base * (0.8 + Math.random() * 0.4); // jitter: many respondents after one outage spread out
    this.attempt += 1;
    this.h.onRetrying(this.attempt, wait);
    this.timer = setTimeout(() => { this.timer = null; this.open(); }, wait * 1000);
  }

  /** Try again now (the respondent pressed "Reconnect" after we gave up). */
  reconnect() {
    this.attempt = 0;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    this.open();
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Microphone audio; dropped while not connected (a question left open is asked again after resume). */
  sendAudio(pcm) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || !this.isReady) return;
    if (ws.bufferedAmount > STALL_BYTES) { // half-open connection (a phone changed networks): start over
      this.ws = null;
      try { ws.close(); } catch { /* already */ }
      return this.retry();
    }
    ws.send(pcm);
  }

  /** End for good: `reason` is what the page shows (ended, declined, fatal error, hung up). */
  close(reason) {
    this.final = reason || "closed";
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    window.removeEventListener("online", this.onOnline);
  }
}
