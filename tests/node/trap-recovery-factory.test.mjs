// `scripts/minify-wasm-names.mjs --factory` (scripts/build) makes the wasm-bindgen glue a factory, one scope per
// WebAssembly instance, so that js/runtime.js can restart the module after a trap (docs/reliability.md, "Restart
// after a trap"). These check the built glue, and that the rewrite refuses a glue it cannot account for — a new way
// into the instance that it does not know to be guarded — rather than shipping it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './context.mjs';

test('the built glue is a factory: every closure invoker and maker guarded, instances independent', async () => {
  const glue = readFileSync(join(root, 'pkg/web/clerk_m2m_edge.js'), 'utf8');
  const invokers = [...glue.matchAll(/^function (wasm_bindgen__convert__closures_____invoke__\w+)\(/gm)].map((m) => m[1]);
  assert.ok(invokers.length > 0);
  for (const name of invokers) assert.ok(glue.includes(`\n${name} = __wbg_entry(${name});\n`), `${name} is guarded`);
  assert.match(glue, /^makeMutClosure = __wbg_closures\(makeMutClosure\);$/m);
  assert.match(glue, /^const FinalizationRegistry = /m);
  assert.equal(glue.split('function initSync(').length - 1, 1, 'one initSync (tests/node/reliability-worker.mjs counts them)');

  const { createGlue } = await import(pathToFileURL(join(root, 'pkg/web/clerk_m2m_edge.js')).href);
  const module = new WebAssembly.Module(readFileSync(join(root, 'pkg/web/clerk_m2m_edge_bg.wasm')));
  const traps = [];
  const [one, two] = [0, 1].map(() => createGlue((error, scope) => traps.push({ error, scope }) > 0));
  one.initSync({ module });
  two.initSync({ module });
  assert.equal(one.compiledModule(), module);
  assert.notEqual(one.wasmMemory(), two.wasmMemory());
  assert.equal(one.version(), two.version());
  // A trap in a synchronous export is the caller's to see (js/api.js reports it); in a future's poll (a microtask),
  // the scope reports it instead of throwing it into the event loop.
  assert.throws(() => one.__trapForTests(false), WebAssembly.RuntimeError);
  const pending = one.__trapForTests(true);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(traps.length, 1);
  assert.ok(traps[0].error instanceof WebAssembly.RuntimeError);
  assert.equal(traps[0].scope, one);
  assert.equal(await Promise.race([pending.then(() => 'settled', () => 'settled'), 'pending']), 'pending');
  // kill() lets go of the instance: the scope no longer reaches it; the other instance is untouched.
  const version = two.version();
  one.kill();
  assert.throws(() => one.version(), TypeError);
  assert.equal(two.version(), version);
});

test('the factory rewrite makes a working factory, and fails on a glue it cannot account for', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trap-recovery-factory-'));
  try {
    // A module with one import ("a"."a") and one export ("b"), as wasm-opt leaves it.
    const bytes = Uint8Array.from([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 7, 1, 1, 97, 1, 97, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 98, 0, 1, 10, 4, 1, 2, 0, 11,
    ]);
    writeFileSync(join(dir, 'm.wasm'), bytes);
    writeFileSync(join(dir, 'map.json'), JSON.stringify({ imports: [['./x_bg.js', '__wbg_log_0123456789abcdef', 'a']], exports: [['run', 'b']] }));
    // The shape of a wasm-bindgen 0.2.130 glue, reduced to one of each kind of function.
    const good = [
      'export function hello() {',
      '    wasm.run();',
      '}',
      'function __wbg_get_imports() {',
      '    const import0 = {',
      '        __proto__: null,',
      '        __wbg_log_0123456789abcdef: function(arg0, arg1) {',
      '            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h0123456789abcdef);',
      '            return ret;',
      '        },',
      '    };',
      '    return {',
      '        __proto__: null,',
      '        "./x_bg.js": import0,',
      '    };',
      '}',
      'function wasm_bindgen__convert__closures_____invoke__h0123456789abcdef(arg0, arg1) {',
      '    wasm.run(arg0, arg1);',
      '}',
      "const ThingFinalization = (typeof FinalizationRegistry === 'undefined')",
      '    ? { register: () => {}, unregister: () => {} }',
      '    : new FinalizationRegistry(ptr => wasm.run(ptr));',
      'function makeMutClosure(arg0, arg1, f) {',
      '    const state = { a: arg0, b: arg1, cnt: 1 };',
      '    const real = (...args) => f(state.a, state.b, ...args);',
      '    real._wbg_cb_unref = () => { if (--state.cnt === 0) wasm.run(state.a, state.b); };',
      '    return real;',
      '}',
      'let cachedUint8ArrayMemory0 = null;',
      'let wasmModule, wasmInstance, wasm;',
      'function __wbg_finalize_init(instance, module) {',
      '    wasmInstance = instance;',
      '    wasm = instance.exports;',
      '    wasmModule = module;',
      '    cachedUint8ArrayMemory0 = null;',
      '    return wasm;',
      '}',
      'function initSync(module) {',
      '    if (wasm !== undefined) return wasm;',
      '    return __wbg_finalize_init(new WebAssembly.Instance(module, __wbg_get_imports()), module);',
      '}',
      'async function __wbg_init(module_or_path) {',
      '    if (wasm !== undefined) return wasm;',
      '    return initSync(module_or_path);',
      '}',
      'export { initSync, __wbg_init as default };',
      '',
    ].join('\n');
    const rewrite = (source) => {
      writeFileSync(join(dir, 'glue.js'), source);
      execFileSync('node', [join(root, 'scripts/minify-wasm-names.mjs'), '--factory', join(dir, 'glue.js'), join(dir, 'map.json'), join(dir, 'm.wasm')], { stdio: 'pipe' });
      return readFileSync(join(dir, 'glue.js'), 'utf8');
    };
    const out = rewrite(good);
    assert.match(out, /^function createGlue\(onTrap\) \{$/m);
    assert.match(out, /^wasm_bindgen__convert__closures_____invoke__h0123456789abcdef = __wbg_entry\(wasm_bindgen__convert__closures_____invoke__h0123456789abcdef\);$/m);
    assert.match(out, /^export \{ createGlue, __wbg_classic_initSync as initSync, __wbg_classic_hello as hello, __wbg_classic_init as default \};$/m);
    assert.doesNotMatch(out, /wasm\.run\b/, 'the export names are minified inside the factory too');
    writeFileSync(join(dir, 'glue.mjs'), out);
    const { createGlue, initSync, hello } = await import(pathToFileURL(join(dir, 'glue.mjs')).href);
    const module = new WebAssembly.Module(bytes);
    const scope = createGlue();
    scope.initSync(module); // the reduced initSync takes the module itself
    assert.equal(scope.hello(), undefined);
    assert.equal(scope.compiledModule(), module);
    assert.equal(typeof initSync, 'function');
    assert.equal(hello(), undefined, 'the classic exports use the scope made last');

    const refused = (source, message) => assert.throws(() => rewrite(source), (e) => message.test(String(e.stderr)), message);
    refused(good.replace('let wasmModule, ', 'function rogue() {\n    wasm.run();\n}\nlet wasmModule, '), /calls into the instance from `function rogue\(\) \{`/);
    refused(good.replace('            return ret;', '            wasm.run();\n            return ret;'), /an import calls into the instance itself/);
    refused(good.replace("export { initSync, __wbg_init as default };", 'export { initSync };'), /does not end with/);
    refused(good.replace('export function hello() {', 'export const hello = () => {'), /an export the factory does not know/);
    refused(good.replace('function initSync(module) {', 'function initSync(module, onTrap) {'), /already uses the name onTrap/);
    refused(good.replace('    real._wbg_cb_unref = ', '    real.unref = '), /does not give its closures a _wbg_cb_unref/);
    refused(`import { x } from './y.js';\n${good}`, /imports a module/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
