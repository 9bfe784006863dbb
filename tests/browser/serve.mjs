// A static file server for the browser suites and examples, on 127.0.0.1 only. With
// `isolated`, every response carries COOP/COEP, so pages are cross-origin isolated
// (SharedArrayBuffer, and so the pthread build, available). With `strictCsp`, a
// Content-Security-Policy that forbids evaluating strings as code (no 'unsafe-eval') and
// inline scripts: what the page then loads must run without them. With `wasmType`, .wasm
// files go out with that Content-Type (servers that do not know application/wasm).
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';

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

/**
 * The server, not yet listening. Every request is answered: a path that does not decode
 * (a malformed escape) gets 400, one that resolves outside `root` (`/..%2fsibling`, whose
 * %2f the URL parser leaves alone) 403, an unreadable file 404 or a closed connection.
 */
export function createStaticServer(root, { isolated, strictCsp = false, wasmType = TYPES['.wasm'] } = {}) {
  const base = resolve(root);
  return createServer((request, response) => {
    let path;
    try {
      path = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
    } catch {
      // URIError from a bad escape, TypeError from a request target that is no URL.
      response.writeHead(400).end('bad request');
      return;
    }
    const file = resolve(base, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    // With the separator: a bare prefix check lets /root-sibling pass as inside /root.
    if (file !== base && !file.startsWith(base + sep)) {
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
    // A file gone or unreadable after the stat: the headers are out, so close the connection.
    createReadStream(file)
      .on('error', () => response.destroy())
      .pipe(response);
  });
}

/** createStaticServer listening on 127.0.0.1 (`port` 0: a free one); resolves to the server. */
export function serve(root, { port = 0, ...options } = {}) {
  const server = createStaticServer(root, options);
  return new Promise((listening) => server.listen(port, '127.0.0.1', () => listening(server)));
}
