// Audio made by the tests themselves (no binary fixtures): a PCM WAV to upload, and headerless
// G.711 µ-law for SIPp's rtp_stream (it sends a file's bytes as they are).

/** A mono 16-bit PCM WAV of a sine tone. */
export function toneWav(seconds: number, hz: number, rate = 8000): Buffer {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    data.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * hz * i) / rate)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** ITU-T G.711 µ-law of one 16-bit sample. */
function mulaw(sample: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.max(-CLIP, Math.min(CLIP, sample));
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Headerless 8 kHz µ-law of a sine tone (SIPp rtp_stream, payload type 0). */
export function toneMulaw(seconds: number, hz: number): Buffer {
  const rate = 8000;
  const out = Buffer.alloc(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) {
    out[i] = mulaw(Math.round(12000 * Math.sin((2 * Math.PI * hz * i) / rate)));
  }
  return out;
}
