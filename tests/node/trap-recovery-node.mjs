// The Node side of tests/node/trap-recovery.test.mjs: runs ./trap-recovery.mjs in this process, which the test
// starts with --expose-gc (so that the scenarios can force garbage collections) and which records its own
// unhandled rejections and uncaught exceptions, against the package that the module at argv[2] re-exports.
// Prints the report as JSON.
import { pathToFileURL } from 'node:url';
import { runTrapRecovery } from './trap-recovery.mjs';

const [entry, traps] = process.argv.slice(2);
const events = [];
process.on('unhandledRejection', (reason) => events.push(reason));
process.on('uncaughtException', (error) => events.push(error));
const { createClerkClient, version } = await import(pathToFileURL(entry).href);
const report = await runTrapRecovery({ createClerkClient, version, events, gc: globalThis.gc, traps: Number(traps) });
process.stdout.write(JSON.stringify(report));
// The calls left in flight by the scenarios still have their (harmless) timeouts pending.
process.exit(0);
