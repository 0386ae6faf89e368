// A local Backend API owned by one test file (faults, key rotation and request counts must not leak into, or be
// disturbed by, other files). Spawns the binary of LOCAL_BAPI_PROFILE (scripts/test exports `dev` and builds it
// first; default `bapi`) directly when it exists, so that a cargo lock held by another build cannot delay the
// start; falls back to scripts/local-bapi, which builds it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { root } from './context.mjs';

export async function ownBapi(seed = 21) {
  const profile = process.env.LOCAL_BAPI_PROFILE || 'bapi';
  const bin = `${root}/target/${profile === 'dev' ? 'debug' : profile}/clerk-local-bapi`;
  const cmd = existsSync(bin) ? bin : `${root}/scripts/local-bapi`;
  const child = spawn(cmd, ['--port', '0', '--seed', String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    once(createInterface({ input: child.stdout }), 'line'),
    once(child, 'exit').then(([code]) => { throw new Error(`local Backend API exited with ${code} before its start-up line`); }),
  ]);
  const info = JSON.parse(line);
  // Never outlive the test process, even when it dies before `stop()`.
  const reap = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', reap);
  const admin = async (method, path, body) => {
    const res = await fetch(`${info.url}/__admin${path}`, {
      method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    ...info,
    pid: child.pid,
    admin,
    /** The Clerk-route requests made while `fn` runs (the log is cleared first). */
    async requestsDuring(fn) {
      await admin('DELETE', '/requests');
      let value, error, failed = false;
      try { value = await fn(); } catch (e) { error = e; failed = true; }
      const requests = await admin('GET', '/requests');
      return { value, error, failed, requests };
    },
    async stop() {
      process.off('exit', reap);
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
