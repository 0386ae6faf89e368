// workerd: the package is imported through its `workerd` export condition; the suites run inside the isolate.
import * as lib from 'clerk-m2m-edge';
import { runSuites } from './harness.js';
import { suites } from './suites.js';

export default {
  async fetch(request, env) {
    const ctx = JSON.parse(env.CLERK_TEST_CONTEXT ?? '{}');
    const results = await runSuites(suites, lib, { ...ctx, lane: 'workerd' });
    return Response.json(results);
  },
};
