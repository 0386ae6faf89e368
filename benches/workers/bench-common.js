// The bench Worker: timed from outside the isolate (workerd's clocks do not advance while code runs).
//   ?mode=run&c=<contender>&n=N&offset=K   N sequential verifications of tokens[offset...]
//        &same=1                           always the first token (the repeated-token lane)
//        &window=W                         cycle over the W tokens from offset on (the cache probe's hit pass)
//        &mix=1                            alternately the first token and tokens[offset...] (the 50/50 mix lane;
//                                          uses floor(N / 2) distinct tokens)
//        &stub=1                           crypto.subtle.verify replaced by an already-true promise for this
//                                          request (breakdown only: everything but the RSA check)
//   ?mode=empty&n=N&offset=K               the same loop with an empty async call instead of a verification
//   ?mode=version&n=N, ?mode=sync-empty&n=N   N calls of the package's `version()` / of a JS no-op
//   ?mode=warm&c=<contender>               builds the contender (key import, JWKS fetch) and verifies once
import { contenderFactories, makeContender, runSequential, runMixed, runEmpty, tokenWindow } from '../contenders.js';

function stubSubtleVerify() {
  Object.defineProperty(crypto.subtle, 'verify', { value: () => Promise.resolve(true), configurable: true });
  return () => delete crypto.subtle.verify;
}

export function benchWorker(libs) {
  let ctx, tokens, factories;
  const made = new Map();
  const noop = (x) => x;
  const contender = async (name) => {
    let fn = made.get(name);
    if (!fn) {
      fn = await makeContender(factories, name, tokens[0]);
      made.set(name, fn);
    }
    return fn;
  };
  return {
    async fetch(request, env) {
      ctx ??= JSON.parse(env.BENCH_CTX);
      tokens ??= JSON.parse(env.BENCH_TOKENS);
      factories ??= contenderFactories(libs, ctx);
      const q = new URL(request.url).searchParams;
      const n = Number(q.get('n') ?? 1);
      const offset = Number(q.get('offset') ?? 0);
      let s = 0;
      try {
        switch (q.get('mode')) {
          case 'empty':
            await runEmpty(tokens, n, offset);
            break;
          case 'sync-empty':
            for (let i = 0; i < n; i++) s += noop(tokens[0]).length;
            break;
          case 'version':
            for (let i = 0; i < n; i++) s += libs.ours.version().length;
            break;
          case 'warm':
            await contender(q.get('c'));
            break;
          case 'run': {
            const fn = await contender(q.get('c'));
            const restore = q.get('stub') === '1' ? stubSubtleVerify() : () => {};
            try {
              if (q.get('mix') === '1') await runMixed(fn, tokens, n, offset);
              else if (q.has('window')) await runSequential(fn, tokenWindow(tokens, offset, Number(q.get('window'))), n, 0);
              else await runSequential(fn, tokens, n, offset, q.get('same') === '1');
            } finally {
              restore();
            }
            break;
          }
          default:
            return new Response('unknown mode', { status: 400 });
        }
        return new Response(`ok ${s}`);
      } catch (e) {
        return new Response(String(e?.stack ?? e), { status: 500 });
      }
    },
  };
}
