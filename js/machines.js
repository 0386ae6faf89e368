// `clerkClient.machines`: the nine calls of @clerk/backend's MachineApi (machines, their scopes and secret keys).
// All logic is in Rust (crates/core/src/machines): this file only puts each call's arguments into one params object.

/**
 * The `machines` namespace of a client. `run(operation, params)` makes one call of the wasm Client's `machines`
 * export and resolves to its result; `pagePromise` and `listAll` are api.js's own helpers for `list` (handed in,
 * not imported: api.js's exports are the package's public API).
 */
export function createMachinesApi(run, { pagePromise, listAll }) {
  const list = (params) => run('list', params);
  // The positional calls take an optional last argument with the per-call `signal` and `timeoutMs`.
  const positional = (operation, names) => async (...args) => run(operation, withOptions(names, args.slice(0, names.length), args[names.length]));
  return {
    get: positional('get', ['machineId']),
    list: (queryParams) => pagePromise(() => list(queryParams), () => listAll(list, queryParams)),
    create: async (bodyParams) => run('create', bodyParams),
    update: async (params) => run('update', params),
    delete: positional('delete', ['machineId']),
    getSecretKey: positional('getSecretKey', ['machineId']),
    rotateSecretKey: async (params) => run('rotateSecretKey', params),
    createScope: positional('createScope', ['machineId', 'toMachineId']),
    deleteScope: positional('deleteScope', ['machineId', 'otherMachineId']),
  };
}

/**
 * `{ [names[i]]: values[i], ...options }` as a plain object: the positional arguments, then the own enumerable
 * properties of `options` (each read once). A key of `options` that names a positional argument, an `options` that
 * is not an object, or a getter or Proxy trap that throws is a TypeError.
 */
function withOptions(names, values, options) {
  const params = {};
  names.forEach((name, i) => {
    params[name] = values[i];
  });
  if (options === undefined) return params;
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object (signal, timeoutMs)');
  let keys;
  try {
    keys = Object.keys(options);
  } catch {
    throw new TypeError('options cannot be read (a getter or a Proxy threw)');
  }
  for (const key of keys) {
    if (names.includes(key)) throw new TypeError(`options.${key} is an argument of this call, not an option`);
    let value;
    try {
      value = options[key];
    } catch {
      throw new TypeError(`options.${key} cannot be read (a getter or a Proxy threw)`);
    }
    // Defined, not assigned: an own `__proto__` key stays a key.
    Object.defineProperty(params, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return params;
}
