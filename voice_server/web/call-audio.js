// Audio for the call page: the microphone through an AudioWorklet (16 kHz PCM out), and playback of
// the moderator's questions, which arrive as 16 kHz PCM frames faster than real time.

export const RATE = 16000; // what we declare in `start`; question audio comes back in the same format
const CHUNK = 640; // 40 ms at 16 kHz per binary frame

export class CallAudio {
  constructor() {
    this.ctx = null;
    this.stream = null;
    this.nodes = [];
    this.onChunk = null; // (ArrayBuffer pcm, number level) for every 40 ms of microphone audio
    this.onMicLost = null; // the device went away (unplugged, permission revoked)
    this.nextTime = 0;
    this.sources = new Set();
    this.lastSource = null;
  }

  /** Create (or wake) the AudioContext; call from a click, or autoplay rules keep it silent. */
  async start() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return false;
    if (!this.ctx) this.ctx = new Ctx({ latencyHint: "interactive" });
    if (this.ctx.state === "suspended") {
      try { await this.ctx.resume(); } catch { /* resumes on the next gesture */ }
    }
    return true;
  }

  get micOpen() { return this.stream !== null; }

  /** Ask for the microphone; throws when it is denied or missing (the page then offers typing). */
  async openMic() {
    if (this.stream) return;
    if (!this.ctx || !navigator.mediaDevices || !window.AudioWorkletNode) throw new Error("no audio capture here");
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    try {
      await this.ctx.audioWorklet.addModule("/static/mic-worklet.js");
      const source = this.ctx.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(this.ctx, "mic-capture", {
        numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1],
        processorOptions: { targetRate: RATE, chunk: CHUNK },
      });
      node.port.onmessage = (e) => this.onChunk && this.onChunk(e.data.pcm, e.data.level);
      // The worklet only runs while something pulls on it: a muted gain to the speakers.
      const sink = this.ctx.createGain();
      sink.gain.value = 0;
      let head = source;
      if (this.ctx.sampleRate > RATE) {
        const lowpass = this.ctx.createBiquadFilter(); // anti-aliasing before the worklet decimates
        lowpass.type = "lowpass";
        lowpass.frequency.value = 7000;
        head = head.connect(lowpass);
        this.nodes.push(lowpass);
      }
      head.connect(node).connect(sink).connect(this.ctx.destination);
      this.nodes.push(source, node, sink);
    } catch (err) {
      stream.getTracks().forEach((t) => t.stop());
      throw err;
    }
    stream.getAudioTracks().forEach((t) => t.addEventListener("ended", () => this.onMicLost && this.onMicLost()));
    this.stream = stream;
  }

  /** Release the device (the browser's recording indicator goes off). */
  closeMic() {
    this.nodes.forEach((n) => { try { n.disconnect(); } catch { /* already */ } });
    this.nodes = [];
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
  }

  /** A new question starts: its frames play back to back from now on. */
  begin() {
    if (!this.ctx) return;
    this.nextTime = Math.max(this.nextTime, this.ctx.currentTime + 0.06);
    this.lastSource = null;
  }

  /** One binary frame of question audio (pcm_s16le, 16 kHz, mono). */
  play(buffer) {
    if (!this.ctx || buffer.byteLength < 2) return;
    const pcm = new Int16Array(buffer, 0, buffer.byteLength >> 1);
    const audio = this.ctx.createBuffer(1, pcm.length, RATE); // the context resamples to the device
    const data = audio.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
    const src = this.ctx.createBufferSource();
    src.buffer = audio;
    src.connect(this.ctx.destination);
    src.onended = () => this.sources.delete(src);
    src.start(this.nextTime);
    this.nextTime += audio.duration;
    this.sources.add(src);
    this.lastSource = src;
  }

  /** Call `done` once everything scheduled has been heard (the cue for `playback_done`). */
  finish(done) {
    let called = false;
    const once = () => { if (!called) { called = true; done(); } };
    if (!this.ctx || !this.lastSource) return once();
    const left = this.nextTime - this.ctx.currentTime;
    if (left <= 0) return once();
    this.lastSource.addEventListener("ended", once);
    // onended never fires while the context is suspended; the server has its own fallback then.
    setTimeout(() => { if (this.ctx.state === "running" && this.ctx.currentTime >= this.nextTime) once(); },
      left * 1000 + 500);
  }

  /** Stop any question audio now (the call ended, or a reconnect will ask again). */
  stopPlayback() {
    this.sources.forEach((s) => { try { s.stop(); } catch { /* not started */ } });
    this.sources.clear();
    this.lastSource = null;
    this.nextTime = 0;
  }
}
