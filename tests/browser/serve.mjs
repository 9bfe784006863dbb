// A static file server for the browser suites and examples, on 127.0.0.1 only. With
// `isolated`, every response carries COOP/COEP, so pages are cross-origin isolated
// (SharedArrayBuffer, and so the pthread build, available). With `strictCsp`, a
// Content-Security-Policy that forbids evaluating strings as code (no 'unsafe-eval') and
// inline scripts: what the page then loads must run without them. With `wasmType`, .wasm
// files go out with that Content-Type (servers that do not know application/wasm).
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.map': 'application/json',
};

const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";

export function serve(root, { isolated, strictCsp = false, wasmType = TYPES['.wasm'], port = 0 } = {}) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root)) {
      response.writeHead(403).end();
      return;
    }
    let size;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) throw new Error('not a file');
      size = stat.size;
    } catch {
      response.writeHead(404).end('not found');
      return;
    }
    const type = extname(file) === '.wasm' ? wasmType : (TYPES[extname(file)] ?? 'application/octet-stream');
    const headers = { 'Content-Type': type, 'Content-Length': size, 'Cache-Control': 'no-store' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    if (strictCsp) headers['Content-Security-Policy'] = STRICT_CSP;
    response.writeHead(200, headers);
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
