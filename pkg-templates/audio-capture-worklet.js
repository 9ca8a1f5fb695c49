// framecast microphone capture where MediaStreamTrackProcessor is missing
// (Firefox, Safari): an AudioWorkletProcessor, loaded by publisher.js with
// audioWorklet.addModule, that copies its input into batches of interleaved
// Float32 PCM and posts each batch (transferred) with the context frame of
// its first sample. The main thread maps frames onto the page clock.
//
// Messages out: {pcm: Float32Array (interleaved), frame, channels}
// Messages in:  'stop' (the processor ends)
// processorOptions: {batchFrames} (default 10 ms at the context's rate)

class FramecastCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.size = options?.processorOptions?.batchFrames ?? Math.round(sampleRate / 100);
    this.batch = null;
    this.channels = 0;
    this.filled = 0;
    this.frame = 0;
    this.running = true;
    this.port.onmessage = (e) => {
      if (e.data === 'stop') this.running = false;
    };
  }

  // Posts what the batch holds (a short one before a gap or a layout change).
  flush() {
    if (this.filled > 0) {
      const pcm = this.filled === this.size ? this.batch : this.batch.slice(0, this.filled * this.channels);
      this.port.postMessage({ pcm, frame: this.frame, channels: this.channels }, [pcm.buffer]);
    }
    this.batch = null;
    this.filled = 0;
  }

  process(inputs) {
    if (!this.running) return false;
    const input = inputs[0];
    const ch = input.length;
    // No channels: nothing is connected upstream (the track ended).
    if (ch === 0) {
      this.flush();
      return true;
    }
    const n = input[0].length;
    // Frames must follow on: a context that was suspended leaves a gap,
    // which the batch must not hide.
    if (this.batch && (ch !== this.channels || this.frame + this.filled !== currentFrame)) this.flush();
    let i = 0;
    while (i < n) {
      if (!this.batch) {
        this.batch = new Float32Array(this.size * ch);
        this.channels = ch;
        this.frame = currentFrame + i;
      }
      const take = Math.min(n - i, this.size - this.filled);
      const out = this.batch;
      for (let c = 0; c < ch; c++) {
        const plane = input[c];
        for (let k = 0; k < take; k++) out[(this.filled + k) * ch + c] = plane[i + k];
      }
      this.filled += take;
      i += take;
      if (this.filled === this.size) this.flush();
    }
    return true;
  }
}

registerProcessor('framecast-capture', FramecastCapture);
