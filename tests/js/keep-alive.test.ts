// A manager keeps Node alive exactly while it has pending requests, on every backend.
// Vitest's own worker keeps its loop alive whatever the manager does, so each case runs
// tests/js/fixtures/keep-alive.mjs as a process of its own and looks at how it ended:
// Node ends a process whose top-level await can never settle with exit code 13.
// Node only: the browser has no process to keep alive.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/keep-alive.mjs', import.meta.url));

function run(backend: string, mode: 'pending' | 'idle') {
  // Generous: a hung child fails the test through its status (null), not the test timeout.
  const child = spawnSync(process.execPath, [script, backend, mode], { encoding: 'utf8', timeout: 15_000 });
  return { code: child.status, signal: child.signal, lines: child.stdout.trim().split('\n'), stderr: child.stderr };
}

describe.each(['addon', 'wasm-threads', 'wasm-nothreads'])('a manager on %s', (backend) => {
  it('keeps the process alive while a script request and a native sleep are pending', () => {
    const out = run(backend, 'pending');
    expect(out, out.stderr).toMatchObject({ code: 0, lines: [JSON.stringify([{ result: 5 }, { slept: 200 }]), 'done'] });
  });

  it('lets the process exit on its own when idle and never shut down', () => {
    const out = run(backend, 'idle');
    expect(out, out.stderr).toMatchObject({ code: 0, lines: ['done'] });
  });
});
