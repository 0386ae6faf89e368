// Lane 7: list and createToken round trips against the local Backend API, ours and @clerk/backend interleaved.
import { readFileSync } from 'node:fs';
const { ctx, params } = JSON.parse(readFileSync(process.env.BENCH_INPUT_FILE, 'utf8'));
const ours = await import('clerk-m2m-edge');
const clerk = await import('@clerk/backend');
const machine = ctx.machines[0];
const opts = { secretKey: ctx.secretKey, machineSecretKey: machine.secretKey, apiUrl: ctx.apiUrl };
const clients = { ours: ours.createClerkClient(opts), clerk: clerk.createClerkClient(opts) };
const ops = {
  list: (c) => c.m2m.list({ subject: machine.id, limit: 10 }),
  createToken: (c) => c.m2m.createToken({ secondsUntilExpiration: 3600 }),
};
const result = {};
for (let round = -1; round < params.rounds; round++) {
  for (const [op, call] of Object.entries(ops)) {
    const names = round % 2 ? ['ours', 'clerk'] : ['clerk', 'ours'];
    for (const name of names) {
      const times = [];
      for (let i = 0; i < params.calls; i++) {
        const t0 = performance.now();
        await call(clients[name]);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      if (round >= 0) (result[`${name}:${op}`] ??= []).push(times[times.length >> 1]);
    }
  }
}
console.log('RESULT ' + JSON.stringify(result));
