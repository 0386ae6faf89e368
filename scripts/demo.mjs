// Loads the built package in Node and inside workerd (miniflare) and prints what each answers.
import { Miniflare } from 'miniflare';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const pkg = new URL('../pkg/', import.meta.url).pathname;
const node = require(join(pkg, 'node.cjs'));
console.log(`node:    clerk-m2m-edge ${node.version()} (WASM round trip)`);

const dir = mkdtempSync(join(tmpdir(), 'clerk-m2m-demo-'));
cpSync(pkg, dir, { recursive: true });
writeFileSync(join(dir, 'worker.js'), `import * as lib from './workerd.js';
export default { fetch: () => new Response(lib.version() + ' ' + navigator.userAgent) };`);
const mf = new Miniflare({
  modules: true,
  scriptPath: join(dir, 'worker.js'),
  modulesRoot: dir,
  modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: '2026-04-01',
});
try {
  const [version, agent] = (await (await mf.dispatchFetch('http://localhost/')).text()).split(' ');
  console.log(`workerd: clerk-m2m-edge ${version} (WASM round trip inside ${agent})`);
} finally {
  await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
}
