// Starts scripts/local-bapi (which builds the `bapi` profile first) and reads its one JSON line.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Build time included on a cold target directory: allow minutes. */
export const START_TIMEOUT_MS = 15 * 60 * 1000;

export async function startBapi(args = []) {
  const child = spawn(join(ROOT, 'scripts', 'local-bapi'), ['--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const line = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code, signal) => reject(new Error(`local-bapi exited early (${code ?? signal})`)));
    child.once('error', reject);
  });
  const info = JSON.parse(line);
  return {
    info,
    /** SIGTERM, then the exit code (0 for a clean shutdown). */
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}

/** fetch with the Clerk-style Authorization header; returns {status, headers, text, json}. */
export async function call(url, method, path, { key, body, headers = {} } = {}) {
  const res = await fetch(url + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
