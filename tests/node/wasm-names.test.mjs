// scripts/build gives the .wasm short import/export names (wasm-opt) and rewrites the wasm-bindgen glue to match
// (scripts/minify-wasm-names.mjs). These check the built package is consistent, and that the rewrite refuses a
// glue it does not understand rather than shipping one that would fail at instantiation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './context.mjs';

const glue = readFileSync(join(root, 'pkg/web/clerk_m2m_edge.js'), 'utf8');
const wasm = new WebAssembly.Module(readFileSync(join(root, 'pkg/web/clerk_m2m_edge_bg.wasm')));

test('every .wasm import is a key of the glue import object, and no long wasm-bindgen name is left', () => {
  const imports = WebAssembly.Module.imports(wasm);
  assert.ok(imports.length > 20);
  for (const { module, name } of imports) {
    assert.ok(name.length <= 3 && module.length <= 3, `${module}.${name} is not minified`);
    assert.match(glue, new RegExp(`(^|[\\s{,])${name.replace(/\$/g, '\\$')}: function\\b`, 'm'), `import ${name}`);
  }
  assert.doesNotMatch(glue, /__wbg_\w+_[0-9a-f]{16}: function/);
  const exported = new Set(WebAssembly.Module.exports(wasm).map((e) => e.name));
  for (const [, name] of glue.matchAll(/\bwasm\.([\w$]+)/g)) assert.ok(exported.has(name), `the glue uses wasm.${name}`);
});

test('the rewrite fails on a glue that uses a name its mapping does not cover', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-names-'));
  try {
    // A module with one import ("a"."a") and one export ("b"), as wasm-opt leaves it.
    const bytes = Uint8Array.from([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 7, 1, 1, 97, 1, 97, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 98, 0, 1, 10, 4, 1, 2, 0, 11,
    ]);
    writeFileSync(join(dir, 'm.wasm'), bytes);
    writeFileSync(join(dir, 'map.json'), JSON.stringify({ imports: [['./x_bg.js', '__wbg_log_0123456789abcdef', 'a']], exports: [['run', 'b']] }));
    const rewrite = (source) => {
      writeFileSync(join(dir, 'glue.js'), source);
      execFileSync('node', [join(root, 'scripts/minify-wasm-names.mjs'), join(dir, 'glue.js'), join(dir, 'map.json'), join(dir, 'm.wasm')], { stdio: 'pipe' });
      return readFileSync(join(dir, 'glue.js'), 'utf8');
    };
    const good = `const import0 = { __wbg_log_0123456789abcdef: function() {} };\nconst imports = { "./x_bg.js": import0 };\nwasm.run();\n`;
    assert.equal(rewrite(good), `const import0 = { a: function() {} };\nconst imports = { "a": import0 };\nwasm.b();\n`);
    assert.throws(() => rewrite(good.replace('wasm.run();', 'wasm.run(); wasm.other();')), /does not rename: other/);
    assert.throws(() => rewrite(good + 'log(__wbg_log_0123456789abcdef);\n'), /not exactly one key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
