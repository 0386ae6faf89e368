// Runs the suites in a process-based runtime (Node, Deno, Bun) and prints one RESULTS line for the driver.
import { runSuites } from './harness.js';
import { suites } from './suites.js';

export async function report(lane, lib) {
  const ctx = JSON.parse(globalThis.process?.env?.CLERK_TEST_CONTEXT ?? globalThis.Deno?.env.get('CLERK_TEST_CONTEXT') ?? '{}');
  const results = await runSuites(suites, lib, { ...ctx, lane });
  console.log('RESULTS ' + JSON.stringify(results));
}
