// Every process a test starts is registered here and stopped by its pid: SIGTERM, then
// SIGKILL after a grace period. If the test runner itself dies, the exit hook kills what is
// left, so no server or SIPp outlives the suite.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves with the exit code (or the signal name) once the child has exited. */
export function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | string | null> {
  if (exited(child)) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
  });
}

/** SIGTERM by pid, then SIGKILL after `graceMs`; resolves when the child is gone. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<number | string | null> {
  if (child.pid === undefined || exited(child)) return child.exitCode ?? child.signalCode;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return child.exitCode ?? child.signalCode;
  }
  const code = await waitExit(child, graceMs);
  if (!exited(child)) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone in between
    }
    return waitExit(child, 5000);
  }
  return code;
}
