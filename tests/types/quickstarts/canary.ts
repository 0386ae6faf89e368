// In every quickstart project of tests/node/quickstarts.test.mjs: each line below is an error only under the
// settings the quickstarts are checked with, so an unused @ts-expect-error (a setting not in force) fails tsc.
const options: { key?: string } = {};
// @ts-expect-error exactOptionalPropertyTypes: `undefined` is not a `string`
options.key = undefined;
const list: string[] = [];
// @ts-expect-error noUncheckedIndexedAccess: list[0] is `string | undefined`
const first: string = list[0];
// @ts-expect-error strict (noImplicitAny)
export function canary(x) { return [x, first, options]; }
