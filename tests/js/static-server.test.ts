// tests/browser/serve.mjs, the static server of the browser suites, benches and demo
// (examples/browser/serve.mjs): it answers only from inside its root, and no request
// stops it. Node only: the server is Node's http.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// @ts-expect-error: a plain .mjs script without types
import { serve } from '../browser/serve.mjs';

let dir: string;
let server: Server;

beforeAll(async () => {
  // site/ is the root; site-secret.txt beside it shares the root's name as a prefix.
  dir = mkdtempSync(join(tmpdir(), 'threadbank-serve-'));
  mkdirSync(join(dir, 'site'));
  writeFileSync(join(dir, 'site', 'index.html'), 'inside');
  writeFileSync(join(dir, 'site-secret.txt'), 'outside');
  server = await serve(join(dir, 'site'), { isolated: false });
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

/** GET with the path sent exactly as written (fetch would normalize or refuse some). */
function get(path: string): Promise<{ status: number; body: string }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((done, fail) => {
    request({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => done({ status: response.statusCode ?? 0, body }));
    })
      .on('error', fail)
      .end();
  });
}

describe('the static server', () => {
  it('serves files inside its root', async () => {
    expect(await get('/')).toEqual({ status: 200, body: 'inside' });
  });

  it('refuses a path that resolves to a sibling of its root sharing its name as a prefix', async () => {
    const out = await get('/..%2fsite-secret.txt');
    expect([403, 404]).toContain(out.status);
    expect(out.body).not.toContain('outside');
  });

  it('answers 400 to a malformed escape and goes on answering', async () => {
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect(await get('/index.html')).toEqual({ status: 200, body: 'inside' });
  });
});
