// AudioWorklet: microphone samples at the device's rate -> 16-bit PCM at 16 kHz, in 40 ms chunks.
// The context runs at whatever rate the device gives (Firefox refuses to make a 16 kHz one), so we
// resample here: a box average over each output period when downsampling (a low-pass BiquadFilter
// in front of this node removes most of what would alias), linear interpolation when upsampling.
class MicCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = (options && options.processorOptions) || {};
    this.step = sampleRate / (opts.targetRate || 16000); // input samples per output sample
    this.chunk = opts.chunk || 640;
    this.out = new Int16Array(this.chunk);
    this.n = 0;
    this.sumSq = 0;
    this.acc = 0; // downsampling: running sum and count of the current output period
    this.count = 0;
    this.pos = 0;
    this.prev = 0; // upsampling: the previous input sample and the output phase
    this.frac = 0;
  }

  push(v) {
    const x = v > 1 ? 1 : v < -1 ? -1 : v;
    this.out[this.n++] = x < 0 ? x * 0x8000 : x * 0x7fff;
    this.sumSq += x * x;
    if (this.n === this.chunk) {
      // The level is the chunk's RMS; the page draws the meter from it.
      this.port.postMessage({ pcm: this.out.buffer, level: Math.sqrt(this.sumSq / this.n) }, [this.out.buffer]);
      this.out = new Int16Array(this.chunk);
      this.n = 0;
      this.sumSq = 0;
    }
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true; // no track yet (or it ended): keep the node alive
    const frames = input[0].length;
    const channels = input.length;
    for (let i = 0; i < frames; i++) {
      let x = 0;
      for (let c = 0; c < channels; c++) x += input[c][i];
      x /= channels;
      if (this.step >= 1) {
        this.acc += x;
        this.count += 1;
        this.pos += 1;
        if (this.pos >= this.step) {
          this.push(this.acc / this.count);
          this.acc = 0;
          this.count = 0;
          this.pos -= this.step;
        }
      } else {
        while (this.frac < 1) {
          this.push(this.prev + (x - this.prev) * this.frac);
          this.frac += this.step;
        }
        this.frac -= 1;
        this.prev = x;
      }
    }
    return true;
  }
}

registerProcessor("mic-capture", MicCapture);
