// Holds the live WASM instance for api.js, and replaces it after a trap (docs/reliability.md, "Restart after a
// trap"). Each entry installs the first instance once before anything else runs.
//
// A trap (a `WebAssembly.RuntimeError`: a panic or an out-of-memory abort, `unreachable` with panic=abort) can
// leave the instance's memory inconsistent, so an instance that trapped is never entered again. The glue is a
// factory (scripts/minify-wasm-names.mjs --factory): each instance has a scope of its own, so an object of the old
// one that the garbage collector frees later frees into the old instance, never into the new one. The new
// instance is made of the same compiled `WebAssembly.Module` (workerd forbids compiling at run time, not
// instantiating) on the next call that needs it.

/** The live instance: its glue scope, wasm `Client` class and memory; undefined from a trap to the next call. */
let live;
/** Makes a fresh instance, or is undefined: this glue cannot be restarted (then a trap is passed on as it is). */
let instantiate;
/** Counts the instances that trapped: a wasm `Client` made in an earlier generation belongs to a dead instance. */
export let generation = 0;
/** Rejects each pending async call of the live instance (see `track`), with the error of its death. */
let pending = new Set();
/** The trap each dead instance died of, by glue scope. */
const traps = new WeakMap();

/**
 * Installs the entry's first instance: `glue`, a scope made by the glue's `createGlue(trapped)` and initialised.
 * Later instances are made by `createGlue` of the same compiled module. Without `createGlue` (a plain wasm-bindgen
 * glue, as the benchmarks' experiments install it) there is no restart.
 */
export function install(glue, createGlue) {
  live = instance(glue);
  instantiate = undefined;
  if (typeof createGlue === 'function' && typeof glue.compiledModule === 'function') {
    const module = glue.compiledModule();
    instantiate = () => {
      const next = createGlue(trapped);
      next.initSync({ module });
      return next;
    };
  }
}

function instance(glue) {
  // `u32`: api.js's view of the memory (memoryU32).
  return { glue, Client: glue.Client, memory: glue.wasmMemory(), u32: undefined };
}

/** The live instance, made now if the last one trapped. */
export function wasm() {
  if (live === undefined) {
    try {
      live = instance(instantiate());
    } catch (e) {
      throw new Error('The clerk-m2m-edge WebAssembly module trapped and could not be restarted; the next call tries again.', { cause: e });
    }
  }
  return live;
}

/**
 * A trap escaped from a call into `glue` (reported by the glue scope for a call the JS runtime made on its own, by
 * api.js for the calls it makes): if `glue` is the live instance, it is dead from now on, its pending calls reject,
 * and the next call gets a new instance. Returns whether the trap was taken care of (false: the instance cannot be
 * restarted, or `glue` was dead already); what the call that saw the trap throws is `restartError`.
 */
export function trapped(error, glue) {
  if (instantiate === undefined || live === undefined || live.glue !== glue) return false;
  // The trap's stack trace, until it is formatted, refers to the dead instance's functions: it would keep the
  // instance and its memory alive as long as the error (kept as the `cause` of what its calls throw) lives.
  formatStack(error);
  traps.set(glue, error);
  glue.kill();
  // Sessions of api.js still point at this record: it must not keep the dead instance's memory alive.
  live.memory = undefined;
  live.u32 = undefined;
  live = undefined;
  generation++;
  const dead = pending;
  pending = new Set();
  for (const reject of dead) reject(restartError(glue));
  return true;
}

/** What a call into `glue`, an instance that trapped (during the call or before it), fails with. */
export function restartError(glue) {
  const error = new Error('The clerk-m2m-edge WebAssembly module trapped and was restarted; this call failed and can be retried.', { cause: traps.get(glue) });
  formatStack(error); // made while the dead instance may still be on the stack: see `trapped`
  return error;
}

function formatStack(error) {
  try {
    void error.stack;
  } catch {
    // a throwing Error.prepareStackTrace
  }
}

/**
 * `promise`, an async export's promise from instance `inst`, as a promise that also rejects when `inst` traps
 * first: a trap leaves the dead instance's futures unpolled, so their promises would never settle.
 */
export function track(promise, inst) {
  if (inst !== live) {
    promise.then(undefined, () => {});
    return Promise.reject(restartError(inst.glue));
  }
  return new Promise((resolve, reject) => {
    const set = pending;
    set.add(reject);
    promise.then(
      (value) => {
        set.delete(reject);
        resolve(value);
      },
      (error) => {
        set.delete(reject);
        reject(error);
      },
    );
  });
}
