// Renames the .wasm's import and export names to the short ones `wasm-opt --minify-imports-and-exports-and-modules`
// chose, in the wasm-bindgen JS glue that uses them. wasm-bindgen names every import `__wbg_<name>_<16 hex>`;
// the names were ≈ 4 KB of the .wasm (≈ 2 KB gzip) and ≈ 2.7 KB of a Worker's minified glue. workerd's
// measured start-up did not move with them (docs/benchmarks.md, "Start-up"). Every rename is checked, so a glue
// this script does not understand fails the build instead of shipping.
//
// With --factory it first makes the glue a factory, `createGlue(onTrap)`: one scope (its own `wasm`, memory views
// and FinalizationRegistrys) per WebAssembly instance, so that js/runtime.js can replace an instance after a trap
// while the old one's objects, freed later by the garbage collector, free into the dead instance and never into
// the new one (docs/reliability.md, "Restart after a trap"). That rewrite is checked the same way: every function
// of the glue that calls into the instance must be one it knows to be guarded or called only by an export.
//
// Usage: node scripts/minify-wasm-names.mjs [--factory] <glue.js> <wasm-opt mapping.json> <minified.wasm>
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const factory = args[0] === '--factory';
const [gluePath, mapPath, wasmPath] = factory ? args.slice(1) : args;
const fail = (why) => {
  console.error(`minify-wasm-names: ${why}`);
  process.exit(1);
};
if (!wasmPath) fail('usage: minify-wasm-names.mjs [--factory] <glue.js> <mapping.json> <minified.wasm>');

const map = JSON.parse(readFileSync(mapPath, 'utf8'));
const modules = new Set(WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmPath))).map((i) => i.module));
if (modules.size !== 1) fail(`expected one import module after minifying, found ${[...modules].join(', ')}`);
const [newModule] = modules;
const oldModules = new Set(map.imports.map(([module]) => module));
if (oldModules.size !== 1) fail(`expected one import module in the glue, found ${[...oldModules].join(', ')}`);
const [oldModule] = oldModules;

let glue = readFileSync(gluePath, 'utf8');
const count = (re) => (glue.match(re) ?? []).length;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
if (factory) glue = toFactory(glue);

// The import object's module key: `"./<name>_bg.js": import0`.
const moduleKey = new RegExp(`"${escape(oldModule)}"(?=: import0\\b)`, 'g');
if (count(moduleKey) !== 1) fail(`the import module key "${oldModule}" is not where expected`);
glue = glue.replace(moduleKey, () => JSON.stringify(newModule));

// Import names: each is one key of that object (`name: function`), and appears nowhere else.
const renamedImports = new Map(map.imports.map(([, from, to]) => [from, to]));
for (const from of renamedImports.keys()) {
  if (count(new RegExp(`\\b${escape(from)}\\b`, 'g')) !== 1 || count(new RegExp(`\\b${escape(from)}: function\\b`, 'g')) !== 1) {
    fail(`import ${from} is not exactly one key of the import object`);
  }
}
const importKey = new RegExp(`\\b(${[...renamedImports.keys()].map(escape).join('|')}): function\\b`, 'g');
glue = glue.replace(importKey, (_, from) => `${renamedImports.get(from)}: function`);

// Export names: the glue reads them as `wasm.<name>` only.
const renamedExports = new Map(map.exports.map(([from, to]) => [from, to]));
const exportUse = new RegExp(`\\bwasm\\.(${[...renamedExports.keys()].map(escape).join('|')})\\b`, 'g');
glue = glue.replace(exportUse, (_, from) => `wasm.${renamedExports.get(from)}`);
const newExports = new Set(renamedExports.values());
const leftover = [...glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]).filter((name) => !newExports.has(name));
if (leftover.length > 0) fail(`the glue still uses export names the mapping does not rename: ${[...new Set(leftover)].join(', ')}`);
for (const from of renamedImports.keys()) {
  if (glue.includes(from)) fail(`import ${from} is still in the glue`);
}

writeFileSync(gluePath, glue);

/**
 * The glue as a factory: it exports `createGlue(onTrap)`, whose every call makes a scope of its own with the
 * whole glue in it, and returns that scope's exports plus `compiledModule()` and `kill()`. The glue's classic
 * exports stay, for code that imports this file directly (they use the scope made last); the package's entries
 * use `createGlue`.
 *
 * A scope reports a trap (a `WebAssembly.RuntimeError`) that escapes from a call the JS runtime makes on its own —
 * a closure (a microtask that polls a future, a timer, a promise callback, an abort listener), a closure's
 * destructor, a FinalizationRegistry callback — to `onTrap(error, scope)` instead of throwing it into the event
 * loop, where it would be an uncaught exception or an unhandled rejection (wasm-bindgen-futures 0.4.80 polls
 * futures in a `queueMicrotask` callback: a trap there is an uncaught exception, and the call's promise never
 * settles); `onTrap` returns true when it took care of the trap. After `kill()` none of those enters the
 * instance again and the scope holds no reference to it, so the garbage collector can take the instance and its
 * memory even while objects of the scope are still alive.
 *
 * Every top-level function of the glue that calls into the instance must be accounted for: an export (called by
 * js/api.js, which checks the instance's generation itself), a helper those and the imports call synchronously,
 * the imports (which may not call into the instance themselves), a closure invoker or closure maker (guarded
 * here), or a FinalizationRegistry (guarded here). Anything else fails the build.
 */
function toFactory(source) {
  const reserved = ['createGlue', 'onTrap', '__wbg_dead', '__wbg_entry', '__wbg_closures', '__wbg_kill', '__wbg_exports', '__wbg_last', '__wbg_scope', '__wbg_classic_\\w*'];
  for (const name of reserved) {
    const used = new RegExp(`\\b${name}\\b`).exec(source);
    if (used) fail(`--factory: the glue already uses the name ${used[0]}`);
  }
  if (/\bconst FinalizationRegistry\b/.test(source)) fail('--factory: the glue already declares a FinalizationRegistry');
  if (/^\s*import\b/m.test(source)) fail('--factory: the glue imports a module; its imports cannot move into a function');
  const END = 'export { initSync, __wbg_init as default };';
  const body = source.trimEnd();
  if (!body.endsWith(`\n${END}`) || body.split(END).length !== 2) fail(`--factory: the glue does not end with \`${END}\``);
  const lines = body.slice(0, -END.length).split('\n');

  // Top-level statements start in column 0 (wasm-bindgen's formatting); bodies, comments and closing braces do not.
  const chunks = [];
  for (const line of lines) {
    if (/^[A-Za-z]/.test(line)) chunks.push([line]);
    else if (chunks.length > 0) chunks[chunks.length - 1].push(line);
  }
  // Functions the exports and the imports call synchronously, never handed to the JS runtime (wasm-bindgen 0.2.130).
  const helpers = new Set([
    'addToExternrefTable0', 'getArrayU8FromWasm0', 'getDataViewMemory0', 'getStringFromWasm0', 'getUint8ArrayMemory0',
    'handleError', 'passArray8ToWasm0', 'passStringToWasm0', 'takeFromExternrefTable0', '__wbg_finalize_init',
  ]);
  const exported = [];
  const invokers = [];
  const makers = [];
  for (const chunk of chunks) {
    const head = chunk[0];
    const text = chunk.join('\n');
    const exportMatch = /^export (class|function) ([\w$]+)\b/.exec(head);
    if (exportMatch) {
      exported.push({ kind: exportMatch[1], name: exportMatch[2] });
      chunk[0] = head.slice('export '.length);
      continue;
    }
    if (/^export\b/.test(head)) fail(`--factory: an export the factory does not know: ${head}`);
    if (!/\bwasm\.[\w$]+/.test(text)) continue;
    let m;
    if ((m = /^function (wasm_bindgen__convert__closures_____invoke__[\w$]+)\(/.exec(head))) invokers.push(m[1]);
    else if ((m = /^function (makeMutClosure|makeClosure)\(/.exec(head))) {
      if (!text.includes('real._wbg_cb_unref = ')) fail(`--factory: ${m[1]} does not give its closures a _wbg_cb_unref`);
      makers.push(m[1]);
    } else if (/^const [\w$]+ = \(typeof FinalizationRegistry === 'undefined'\)$/.test(head)) {
      if (!text.includes('new FinalizationRegistry(')) fail(`--factory: not a FinalizationRegistry: ${head}`);
    } else if (/^function __wbg_get_imports\(\) \{$/.test(head)) {
      const call = /\bwasm\.[\w$]+\s*\(/.exec(text);
      if (call) fail(`--factory: an import calls into the instance itself (${call[0]}...): is it a callback the factory must guard?`);
    } else if ((m = /^function ([\w$]+)\(/.exec(head)) && helpers.has(m[1])) {
      // called synchronously by an export or an import
    } else {
      fail(`--factory: the glue calls into the instance from \`${head}\`, which it does not know to be guarded or called only by an export`);
    }
  }
  if (invokers.length === 0 || makers.length === 0) fail('--factory: no closure invoker or closure maker found');
  const once = (re, what) => {
    if ((source.match(re) ?? []).length !== 1) fail(`--factory: expected ${what} exactly once`);
  };
  once(/^let wasmModule, wasmInstance, wasm;$/gm, '`let wasmModule, wasmInstance, wasm;`');
  once(/^function __wbg_finalize_init\(instance, module\) \{\n {4}wasmInstance = instance;\n {4}wasm = instance\.exports;\n {4}wasmModule = module;$/gm, 'the instance set up in __wbg_finalize_init');
  once(/^function initSync\(module\) \{$/gm, 'initSync');
  once(/^async function __wbg_init\(module_or_path\) \{$/gm, '__wbg_init');
  const caches = [...source.matchAll(/^let (cached\w*Memory\w*) = null;$/gm)].map((c) => c[1]);
  if (caches.length === 0) fail('--factory: no cached memory view found');
  const functions = exported.filter((e) => e.kind === 'function').map((e) => e.name);
  const scopeNames = [...exported.map((e) => e.name), 'initSync'];
  // The classic exports: the functions (a class cannot follow the scope made last), not the internal `__` ones.
  const classic = functions.filter((name) => !name.startsWith('__'));

  return [
    '// wasm-bindgen\'s glue as a factory (scripts/minify-wasm-names.mjs --factory): each createGlue(onTrap) makes a',
    '// scope of its own for one WebAssembly instance: its own `wasm`, memory views and FinalizationRegistrys.',
    'function createGlue(onTrap) {',
    'let __wbg_dead = false;',
    '// A call the JS runtime makes into this instance on its own (a closure, a destructor, a finalizer): none after',
    '// kill(); a trap goes to onTrap, not into the event loop, unless onTrap does not return true (or there is none):',
    '// then it is rethrown, as without the factory.',
    'function __wbg_entry(f) {',
    '    return function (...args) {',
    '        if (__wbg_dead) return;',
    '        try {',
    '            return f.apply(this, args);',
    '        } catch (e) {',
    '            if (onTrap === undefined || !(e instanceof WebAssembly.RuntimeError) || onTrap(e, __wbg_exports) !== true) throw e;',
    '        }',
    '    };',
    '}',
    'const FinalizationRegistry = typeof globalThis.FinalizationRegistry === \'function\'',
    '    ? class extends globalThis.FinalizationRegistry { constructor(cleanup) { super(__wbg_entry(cleanup)); } }',
    '    : undefined;',
    ...chunks.flat(),
    ...invokers.map((name) => `${name} = __wbg_entry(${name});`),
    ...makers.map((name) => `${name} = __wbg_closures(${name});`),
    'function __wbg_closures(make) {',
    '    return function (...args) {',
    '        const real = make.apply(this, args);',
    '        real._wbg_cb_unref = __wbg_entry(real._wbg_cb_unref);',
    '        return real;',
    '    };',
    '}',
    '// Lets go of the instance: nothing of this scope enters it again, and nothing keeps it alive.',
    'function __wbg_kill() {',
    '    __wbg_dead = true;',
    '    wasm = undefined;',
    '    wasmInstance = undefined;',
    ...caches.map((name) => `    ${name} = null;`),
    '}',
    `const __wbg_exports = { ${scopeNames.join(', ')}, init: __wbg_init, compiledModule: () => wasmModule, kill: __wbg_kill };`,
    '__wbg_last = __wbg_exports;',
    'return __wbg_exports;',
    '}',
    '',
    '// The classic exports of the glue, for code that imports this file directly: they use the scope made last.',
    'let __wbg_last;',
    'const __wbg_scope = () => __wbg_last ?? createGlue();',
    `const __wbg_classic_initSync = (module) => __wbg_scope().initSync(module);`,
    `const __wbg_classic_init = (module_or_path) => __wbg_scope().init(module_or_path);`,
    ...classic.map((name) => `const __wbg_classic_${name} = (...args) => __wbg_scope().${name}(...args);`),
    `export { createGlue, ${['initSync', ...classic].map((n) => `__wbg_classic_${n} as ${n}`).join(', ')}, __wbg_classic_init as default };`,
    '',
  ].join('\n');
}
