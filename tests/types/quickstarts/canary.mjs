// The JS twin of canary.ts, for the checkJs project of the Node quickstarts.
/** @type {{ key?: string }} */
const options = {};
// @ts-expect-error exactOptionalPropertyTypes: `undefined` is not a `string`
options.key = undefined;
/** @type {string[]} */
const list = [];
/** @param {string} s */
const take = (s) => s;
// @ts-expect-error noUncheckedIndexedAccess: list[0] is `string | undefined`
take(list[0]);
// @ts-expect-error strict (noImplicitAny)
export function canary(x) { return [x, options]; }
