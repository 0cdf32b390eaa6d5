// SIPp peers on loopback, bounded by -m and -timeout, stopped by pid. The scenarios are the
// integration tests' (tests/integration/sipp/), templates filled in the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { integrationSipp } from './paths';
import { stop, track, waitExit } from './processes';

export const sippBin = process.env.SIPP_BIN ?? '/usr/bin/sipp';

/** A UDP port free on this loopback address right now. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether `port` can be bound on this loopback address right now. */
function udpPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

/**
 * A base for SIPp's -mp: an even port free with the three above it (SIPp binds the audio RTP
 * and RTCP ports and the video pair above them), so parallel SIPp callers never collide.
 */
export async function freeMediaPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = (await freeUdpPort(host)) & ~1;
    if (base + 3 > 65535) continue;
    const free = await Promise.all([0, 1, 2, 3].map((i) => udpPortFree(base + i, host)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no four free UDP ports in a row for SIPp media');
}

/** A scenario template (of tests/integration/sipp, or an absolute path) with {{NAME}} replaced, written to dir. */
export function scenarioFromTemplate(dir: string, template: string, values: Record<string, string>): string {
  const source = path.isAbsolute(template) ? template : path.join(integrationSipp, template);
  let text = fs.readFileSync(source, 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.split(`{{${k}}}`).join(v);
  const out = path.join(dir, `${path.basename(template, '.xml')}-${Date.now()}.xml`);
  fs.writeFileSync(out, text);
  return out;
}

export interface SippOptions {
  /** A file name in tests/integration/sipp, or an absolute path. */
  scenario: string;
  dir: string;
  name: string;
  localPort: number;
  /** host:port of the server for a client; absent for a UAS. */
  remote?: string;
  csvRows?: string[];
  callId?: string;
  calls?: number;
  timeoutS?: number;
  extra?: string[];
}

export class Sipp {
  private constructor(
    private readonly child: ChildProcess,
    readonly files: { logs: string; messages: string; errors: string; out: string },
  ) {}

  static start(o: SippOptions): Sipp {
    const base = path.join(o.dir, o.name);
    const files = { logs: `${base}.logs`, messages: `${base}.messages`, errors: `${base}.errors`, out: `${base}.out` };
    const scenario = path.isAbsolute(o.scenario) ? o.scenario : path.join(integrationSipp, o.scenario);
    const args = [
      '-sf', scenario,
      '-i', '127.0.0.1',
      '-p', String(o.localPort),
      '-t', 'u1',
      '-m', String(o.calls ?? 1),
      '-timeout', `${o.timeoutS ?? 20}s`,
      '-timeout_error',
      '-nostdin',
      '-trace_msg', '-message_file', files.messages,
      '-trace_logs', '-log_file', files.logs,
      '-trace_err', '-error_file', files.errors,
    ];
    if (o.csvRows) {
      const csv = `${base}.csv`;
      fs.writeFileSync(csv, `SEQUENTIAL\n${o.csvRows.join('\n')}\n`);
      args.push('-inf', csv);
    }
    if (o.callId) args.push('-cid_str', o.callId);
    args.push(...(o.extra ?? []));
    if (o.remote) {
      if (!o.remote.startsWith('127.')) throw new Error(`SIPp must stay on loopback, not ${o.remote}`);
      args.push(o.remote);
    }
    const out = fs.openSync(files.out, 'w');
    const child = spawn(sippBin, args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    track(child);
    return new Sipp(child, files);
  }

  /** Waits for the end (or stops it by pid after `timeoutMs`); the exit code. */
  async finish(timeoutMs: number): Promise<number | string | null> {
    const code = await waitExit(this.child, timeoutMs);
    if (code === null) return stop(this.child, 3000);
    return code;
  }

  async stop(): Promise<number | string | null> {
    return stop(this.child, 3000);
  }

  read(which: keyof Sipp['files']): string {
    try {
      return fs.readFileSync(this.files[which], 'utf8');
    } catch {
      return '';
    }
  }

  describe(): string {
    return ['out', 'errors', 'logs', 'messages']
      .map((k) => `--- ${k}\n${this.read(k as keyof Sipp['files']).slice(-4000)}`)
      .join('\n');
  }
}

/** The "[authentication ...]" keyword as one CSV field (SIPp does not expand nested fields). */
export function authField(user: string, password: string): string {
  return `[authentication username=${user} password=${password}]`;
}
