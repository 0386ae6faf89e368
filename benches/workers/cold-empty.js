// Cold breakdown (lane 11, benches/lib/cold-breakdown.mjs): the baseline Worker. /noop answers (the isolate exists);
// /verify answers 200 without verifying anything (what a second request costs by itself).
export default {
  fetch: (request) => (new URL(request.url).pathname === '/verify' ? Response.json({ subject: null }) : new Response('ok')),
};
