// Baseline of the cold-start lane: a Worker that imports nothing.
export default { fetch: () => new Response('ok') };
