// Node ESM: the CommonJS build, re-exported, so that `import` and `require` share one WASM instance.
export * from './node.cjs';
