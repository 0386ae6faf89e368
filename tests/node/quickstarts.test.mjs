// The quickstarts of README.md and docs/quickstarts.md as files: each code block a user would paste is a complete
// file under examples/ (marked `<!-- file: examples/… -->` above its fence), shown byte for byte, and every such
// file compiles with the settings a careful team uses (`strict`, `exactOptionalPropertyTypes`,
// `noUncheckedIndexedAccess`) against the packed package, as installed from a clone:
//   - Node ESM and CommonJS (.mjs/.cjs, Node 20 runs no TypeScript): tsc with `checkJs` and @types/node;
//   - the Cloudflare Workers (.ts): tsc with the example's own tsconfig.json (which sets the three options) and
//     @cloudflare/workers-types, plus the `Env` interface that `wrangler types` writes, generated for real;
//   - Vercel Edge (.ts): tsc as a Next.js project does (bundler resolution, `edge-light`, DOM + @types/node);
//   - Bun (.ts): tsc with @types/node and Bun's `serve` (bun-types when node_modules has it, else the declaration
//     in tests/types/quickstarts/bun-shim.d.ts);
//   - Deno (.ts, with its `npm:` import): `deno check`, Deno's own TypeScript and types, with the three options in
//     deno.json (tsc knows neither `Deno` nor `npm:` specifiers).
// Each project also compiles tests/types/quickstarts/canary.{ts,mjs}, whose @ts-expect-error lines are errors only
// under those settings: a setting not in force fails the project. Running each file in its runtime against a local
// Backend API is tests/node/example-worker.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { root } from './context.mjs';
import { installPacked } from './packed.mjs';

const bin = (name) => join(root, 'node_modules/.bin', name);
const typesDir = join(root, 'tests/types/quickstarts');
const strictOptions = { strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true };

/** The quickstart files, by the document that shows them. */
const QUICKSTARTS = {
  'README.md': ['examples/node/quickstart.mjs', 'examples/cloudflare-worker/src/minimal.ts'],
  'docs/quickstarts.md': [
    'examples/cloudflare-worker/src/index.ts',
    'examples/vercel-edge/app/api/machine/route.ts',
    'examples/deno/server.ts',
    'examples/bun/server.ts',
    'examples/node/server.mjs',
    'examples/node/server.cjs',
  ],
};

/** Every fenced block of a markdown text: { lang, code, file (the path of a `<!-- file: … -->` line right above) }. */
function fencedBlocks(text) {
  const blocks = [];
  const re = /^(?:<!-- file: (\S+) -->\n)?```(\w*)\n([\s\S]*?)^```$/gm;
  for (const m of text.matchAll(re)) blocks.push({ file: m[1], lang: m[2], code: m[3] });
  return blocks;
}

for (const [doc, files] of Object.entries(QUICKSTARTS)) {
  test(`${doc}: every code block a user would paste is a file of examples/, byte for byte`, () => {
    const blocks = fencedBlocks(readFileSync(join(root, doc), 'utf8'));
    const code = blocks.filter((b) => ['js', 'ts', 'mjs', 'cjs', 'javascript', 'typescript'].includes(b.lang));
    for (const b of code) assert.ok(b.file, `${doc}: a \`\`\`${b.lang} block has no <!-- file: … --> line above it:\n${b.code.slice(0, 200)}`);
    assert.deepEqual(code.map((b) => b.file), files, `${doc}: the quickstart blocks, in order`);
    for (const b of code) {
      const content = readFileSync(join(root, b.file), 'utf8');
      assert.ok(!/^\s*\/\/ …\s*$/m.test(b.code), `${b.file}: no \`// …\` gaps`);
      assert.equal(b.code, content, `${doc}: the block marked ${b.file} is not that file's content (run: the block must be the whole file)`);
    }
  });
}

// ---- type checks ------------------------------------------------------------------------------------------------

let dir;
const checked = new Set();
before(() => {
  dir = installPacked('clerk-m2m-quickstarts-');
  // The type packages, as a project that depends on them has them.
  for (const pkg of ['@types/node', '@cloudflare/workers-types']) {
    mkdirSync(join(dir, 'node_modules', pkg, '..'), { recursive: true });
    symlinkSync(join(root, 'node_modules', pkg), join(dir, 'node_modules', pkg), 'dir');
  }
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

/** Copies `files` (paths under the repository) into `dir/name/`, keeping their base names. */
function project(name, files) {
  const at = join(dir, name);
  mkdirSync(at, { recursive: true });
  for (const f of files) {
    copyFileSync(join(root, f), join(at, basename(f)));
    if (f.startsWith('examples/')) checked.add(f);
  }
  return at;
}
const tsc = (args) => {
  try {
    return execFileSync(bin('tsc'), args, { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc ${args.join(' ')} failed:\n${e.stdout}${e.stderr}`);
  }
};
const tsconfig = (at, compilerOptions, include) =>
  writeFileSync(join(at, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, ...strictOptions, noEmit: true, skipLibCheck: false }, include }));

test('Node ESM and CommonJS quickstarts: tsc (checkJs, NodeNext, @types/node) with the strict settings', () => {
  const at = project('node', ['examples/node/quickstart.mjs', 'examples/node/server.mjs', 'examples/node/server.cjs', 'tests/types/quickstarts/canary.mjs']);
  tsconfig(at, { allowJs: true, checkJs: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022'], types: ['node'] }, ['*.mjs', '*.cjs']);
  tsc(['-p', at]);
  // `require` reads the CommonJS declarations, `import` the ESM ones (exports["."].types.node).
  const files = tsc(['-p', at, '--listFilesOnly']).split('\n').filter((f) => f.includes('/node_modules/clerk-m2m-edge/'));
  assert.deepEqual(files.map((f) => basename(f)).sort(), ['index.d.cts', 'index.d.ts']);
});

test('Cloudflare Workers quickstarts: tsc with the example\'s tsconfig.json, and a `wrangler types` Env without a cast', () => {
  const at = join(dir, 'worker');
  for (const f of ['wrangler.toml', 'tsconfig.json', 'src', '.dev.vars.example']) cpSync(join(root, 'examples/cloudflare-worker', f), join(at, f), { recursive: true });
  for (const f of readdirSync(join(at, 'src'))) if (f.endsWith('.ts')) checked.add(`examples/cloudflare-worker/src/${f}`);
  const own = JSON.parse(readFileSync(join(at, 'tsconfig.json'), 'utf8')).compilerOptions;
  for (const [k, v] of Object.entries(strictOptions)) assert.equal(own[k], v, `examples/cloudflare-worker/tsconfig.json sets ${k}`);
  // What `npx wrangler types` generates for the example's wrangler.toml, its .dev.vars and one KV namespace.
  copyFileSync(join(at, '.dev.vars.example'), join(at, '.dev.vars'));
  appendFileSync(join(at, 'wrangler.toml'), '\n[[kv_namespaces]]\nbinding = "MY_KV"\nid = "00000000000000000000000000000000"\n');
  execFileSync(bin('wrangler'), ['types', '--include-runtime=false'], {
    cwd: at, stdio: 'pipe', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
  });
  const generated = readFileSync(join(at, 'worker-configuration.d.ts'), 'utf8');
  assert.match(generated, /interface Env\b/);
  assert.match(generated, /MY_KV: KVNamespace;/);
  assert.match(generated, /CLERK_SECRET_KEY: string;/);
  mkdirSync(join(at, 'src/types'));
  for (const f of ['worker-env.ts', 'generated-env.ts', 'canary.ts']) copyFileSync(join(typesDir, f), join(at, 'src/types', f));
  // The example's own compiler options, unchanged; only the files to check are added.
  writeFileSync(join(at, 'tsconfig.check.json'), JSON.stringify({ extends: './tsconfig.json', include: ['src/**/*.ts', 'worker-configuration.d.ts'] }));
  tsc(['-p', join(at, 'tsconfig.check.json')]);
});

test('Vercel Edge quickstart: tsc as in a Next.js project (bundler resolution, edge-light, DOM and @types/node)', () => {
  const at = project('vercel', ['examples/vercel-edge/app/api/machine/route.ts', 'tests/types/quickstarts/canary.ts']);
  tsconfig(at, {
    module: 'ESNext', moduleResolution: 'Bundler', customConditions: ['edge-light'], target: 'ES2022',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: ['node'], isolatedModules: true,
  }, ['*.ts']);
  tsc(['-p', at]);
});

test('Bun quickstart: tsc (bundler resolution, the bun condition, @types/node and Bun.serve)', () => {
  const real = ['@types/bun', 'bun-types'].find((p) => existsSync(join(root, 'node_modules', p, 'package.json')));
  const at = project('bun', ['examples/bun/server.ts', 'tests/types/quickstarts/canary.ts', ...(real ? [] : ['tests/types/quickstarts/bun-shim.d.ts'])]);
  if (real) symlinkSync(join(root, 'node_modules', real), join(dir, 'node_modules', real), 'dir');
  tsconfig(at, {
    module: 'ESNext', moduleResolution: 'Bundler', customConditions: ['bun'], target: 'ESNext',
    lib: ['ESNext', 'DOM'], types: real ? [real === '@types/bun' ? 'bun' : 'bun-types'] : ['node'], isolatedModules: true,
  }, ['*.ts']);
  tsc(['-p', at]);
});

test('Deno quickstart: deno check (Deno\'s TypeScript and types, npm: resolved from node_modules) with the strict settings', () => {
  // Next to the package.json and node_modules that `npm install <clone>/pkg` made, as docs/quickstarts.md says.
  copyFileSync(join(root, 'examples/deno/server.ts'), join(dir, 'deno-server.ts'));
  checked.add('examples/deno/server.ts');
  copyFileSync(join(typesDir, 'canary.ts'), join(dir, 'deno-canary.ts'));
  writeFileSync(join(dir, 'deno.json'), JSON.stringify({ compilerOptions: strictOptions }));
  try {
    execFileSync(bin('deno'), ['check', '--quiet', 'deno-server.ts', 'deno-canary.ts'], { cwd: dir, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  } catch (e) {
    assert.fail(`deno check failed:\n${e.stdout}${e.stderr}`);
  } finally {
    rmSync(join(dir, 'deno.json'));
  }
});

test('docs/quickstarts.md: the Deno import works from `npm install <clone>/pkg` (a directory install)', () => {
  const doc = readFileSync(join(root, 'docs/quickstarts.md'), 'utf8');
  const line = readFileSync(join(root, 'examples/deno/server.ts'), 'utf8').split('\n').find((l) => l.startsWith('import '));
  assert.equal(line, "import { createClerkClient } from 'npm:clerk-m2m-edge';");
  assert.ok(doc.includes('npm install /path/to/clerk-m2m-edge/pkg'), 'the docs show the directory install');
  const at = mkdtempSync(join(tmpdir(), 'clerk-m2m-deno-import-'));
  try {
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', join(root, 'pkg')], { cwd: at, stdio: 'pipe' });
    writeFileSync(join(at, 'main.ts'), `${line}\nconsole.log(typeof createClerkClient, typeof createClerkClient().authenticateRequest);\n`);
    const out = execFileSync(bin('deno'), ['run', '--quiet', '--allow-read', '--allow-env', 'main.ts'], { cwd: at, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(out.trim(), 'function function');
  } finally {
    rmSync(at, { recursive: true, force: true });
  }
});

test('every quickstart file of the documents was type-checked above', () => {
  const all = Object.values(QUICKSTARTS).flat();
  assert.deepEqual(all.filter((f) => !checked.has(f)), [], 'quickstart files that no project above compiled');
});
