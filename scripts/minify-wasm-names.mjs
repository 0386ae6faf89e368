// Renames the .wasm's import and export names to the short ones `wasm-opt --minify-imports-and-exports-and-modules`
// chose, in the wasm-bindgen JS glue that uses them. wasm-bindgen names every import `__wbg_<name>_<16 hex>`;
// the names were ≈ 4 KB of the .wasm (≈ 2 KB gzip) and ≈ 2.7 KB of a Worker's minified glue. workerd's
// measured start-up did not move with them (docs/benchmarks.md, "Start-up"). Every rename is checked, so a glue
// this script does not understand fails the build instead of shipping.
//
// Usage: node scripts/minify-wasm-names.mjs <glue.js> <wasm-opt mapping.json> <minified.wasm>
import { readFileSync, writeFileSync } from 'node:fs';

const [gluePath, mapPath, wasmPath] = process.argv.slice(2);
const fail = (why) => {
  console.error(`minify-wasm-names: ${why}`);
  process.exit(1);
};
if (!wasmPath) fail('usage: minify-wasm-names.mjs <glue.js> <mapping.json> <minified.wasm>');

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
