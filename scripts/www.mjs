#!/usr/bin/env node
// The token console's static server: www/ at `/` and the built package (pkg/) at `/pkg/`, on 127.0.0.1 only.
//   node scripts/www.mjs [--port N]     (default 8788; 0 picks a free port). Prints the URL, serves until Ctrl-C.
// Also imported by scripts/demo.mjs (serveConsole).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const MOUNTS = [['/pkg/', join(root, 'pkg')], ['/', join(root, 'www')]];
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8',
};

/** The file a URL path maps to, or null (outside the mounts, a dot segment, missing). */
function fileFor(pathname) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.split('/').some((s) => s === '..' || s === '.')) return null;
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    let file = resolve(dir, '.' + path.slice(prefix.length - 1));
    if (file !== dir && !file.startsWith(dir + sep)) return null;
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    return existsSync(file) && statSync(file).isFile() ? file : null;
  }
  return null;
}

/** Starts the server; resolves to { url, server, close() }. */
export async function serveConsole({ port = 8788, host = '127.0.0.1' } = {}) {
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error('the console server listens on loopback only');
  const server = createServer((req, res) => {
    const headers = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const file = fileFor(new URL(req.url, 'http://localhost').pathname);
    if (!file) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const address = server.address();
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/`;
  return { url, server, close: () => new Promise((ok) => { server.close(ok); server.closeAllConnections(); }) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  let port = 8788;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--port' && /^\d+$/.test(args[i + 1] ?? '')) port = Number(args[++i]);
    else if (/^--port=\d+$/.test(args[i])) port = Number(args[i].slice(7));
    else {
      console.error('usage: scripts/www [--port N]');
      process.exit(2);
    }
  }
  if (!existsSync(join(root, 'pkg/index.js'))) console.error('www: pkg/ is not built yet: run scripts/build (the page imports /pkg/index.js)');
  const { url, close } = await serveConsole({ port });
  console.log(url);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => close().then(() => process.exit(0)));
}
