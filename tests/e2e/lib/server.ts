// A real `cohort serve` for one test file: a fresh data dir, port 0 for HTTP and SIP on
// loopback, the built console, the admin token from COHORT_ADMIN_TOKEN. The bound ports are
// read from the server's stdout line
//   cohort: listening http=HOST:PORT sip_udp=HOST:PORT sip_tcp=HOST:PORT
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from '@playwright/test';
import { Api } from './api';
import { cohortBin, consoleDir, logsDir } from './paths';
import { stop, track } from './processes';

/** The bootstrap admin token of every server the suite starts (≥ 16 characters). */
export const adminToken = (() => {
  const given = process.env.COHORT_ADMIN_TOKEN;
  if (given && given.length >= 16) return given;
  const made = `e2e-admin-${crypto.randomBytes(16).toString('hex')}`;
  process.env.COHORT_ADMIN_TOKEN = made;
  return made;
})();

export interface ServerOptions {
  /** Seed the demo users, groups and trunk (`--demo-data`). */
  demo?: boolean;
}

export class CohortServer {
  readonly dataDir: string;
  readonly logPath: string;
  private child: ChildProcess | null = null;
  httpHost = '';
  httpPort = 0;
  sipHost = '';
  sipPort = 0;
  api!: Api;

  constructor(private readonly options: ServerOptions) {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-e2e-'));
    this.logPath = path.join(this.dataDir, 'server.log');
  }

  get baseURL(): string {
    return `http://${this.httpHost}:${this.httpPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 20_000): Promise<void> {
    const args = [
      'serve',
      '--data-dir',
      this.dataDir,
      '--http',
      '127.0.0.1:0',
      '--sip',
      '127.0.0.1:0',
      '--console-dir',
      consoleDir,
    ];
    if (this.options.demo) args.push('--demo-data');
    const log = fs.openSync(this.logPath, 'a');
    const child = spawn(cohortBin, args, {
      env: { ...process.env, COHORT_ADMIN_TOKEN: adminToken },
      stdio: ['ignore', 'pipe', log],
    });
    track(child);
    this.child = child;
    fs.closeSync(log);

    const listening = /^cohort: listening http=([\d.]+):(\d+) sip_udp=([\d.]+):(\d+)/m;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`cohort serve did not report its ports in ${timeoutMs} ms\n${this.log()}`)),
        timeoutMs,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        fs.appendFileSync(this.logPath, chunk);
        const m = listening.exec(out);
        if (m && this.httpPort === 0) {
          this.httpHost = m[1]!;
          this.httpPort = Number(m[2]);
          this.sipHost = m[3]!;
          this.sipPort = Number(m[4]);
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`cohort serve exited (${code ?? signal}) before listening\n${this.log()}`));
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    for (const host of [this.httpHost, this.sipHost]) {
      if (!host.startsWith('127.')) throw new Error(`cohort bound ${host}, not loopback`);
    }
    this.api = new Api(this.baseURL, adminToken);
  }

  /** The server's stdout and stderr so far (for failure messages). */
  log(): string {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.child) {
      await stop(this.child);
      this.child = null;
    }
  }

  removeDataDir(): void {
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * One server for the test file that calls this at its top level: started before its first
 * test, stopped by pid after its last, whatever happened. If a test fails, Playwright starts
 * a new worker for the rest of the file, and with it a new server.
 */
export function useCohort(options: ServerOptions = {}): { readonly server: CohortServer } {
  const holder: { server: CohortServer } = { server: undefined as unknown as CohortServer };
  test.beforeAll(async () => {
    holder.server = new CohortServer(options);
    try {
      await holder.server.start();
    } catch (e) {
      await holder.server.stop();
      throw e;
    }
  });
  test.afterEach(async ({}, testInfo) => {
    if (holder.server && testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('cohort-serve.log', { body: holder.server.log(), contentType: 'text/plain' });
    }
  });
  test.afterAll(async ({}, testInfo) => {
    if (!holder.server) return;
    await holder.server.stop();
    // The server's log of every file is kept beside the screenshots.
    fs.mkdirSync(logsDir, { recursive: true });
    const name = `${path.basename(testInfo.file, '.spec.ts')}-${testInfo.workerIndex}.log`;
    fs.writeFileSync(path.join(logsDir, name), holder.server.log());
    holder.server.removeDataDir();
  });
  return holder;
}
