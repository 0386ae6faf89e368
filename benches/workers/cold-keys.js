// Cold breakdown (lane 11): the first WebCrypto key import of an isolate, by format (timed from outside: workerd's
// clocks stand still while code runs). The package imports its keys as 'jwk' (src/webcrypto.rs); jose's importSPKI
// as 'spki'. Bindings: CLERK_SPKI (base64 DER), CLERK_JWK (JSON), BENCH_TOKEN.
//   /noop                     nothing
//   /import?fmt=spki|jwk      one importKey
//   /verify?fmt=spki|jwk      one importKey + one crypto.subtle.verify of BENCH_TOKEN (the first RSA check)
const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));

async function importIt(env, fmt) {
  return fmt === 'spki'
    ? crypto.subtle.importKey('spki', b64(env.CLERK_SPKI), ALG, false, ['verify'])
    : crypto.subtle.importKey('jwk', JSON.parse(env.CLERK_JWK), ALG, false, ['verify']);
}

export default {
  async fetch(request, env) {
    const { pathname, searchParams } = new URL(request.url);
    const fmt = searchParams.get('fmt') ?? 'jwk';
    if (pathname === '/import') return new Response(typeof (await importIt(env, fmt)));
    if (pathname === '/verify') {
      const key = await importIt(env, fmt);
      const t = env.BENCH_TOKEN;
      const dot = t.lastIndexOf('.');
      const ok = await crypto.subtle.verify(ALG, key, b64(t.slice(dot + 1)), new TextEncoder().encode(t.slice(0, dot)));
      return new Response(String(ok), { status: ok ? 200 : 401 });
    }
    return new Response('ok');
  },
};
