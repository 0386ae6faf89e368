// Test controls of the local Backend API (crates/local-bapi), over plain fetch so every runtime can use them.
export function localBapi(ctx) {
  if (!ctx.url) return null;
  const admin = async (method, path, body) => {
    const res = await fetch(`${ctx.url}/__admin${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`admin ${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    url: ctx.url,
    secretKey: ctx.secretKey,
    admin,
    /** A fresh machine with the given scopes (so each lane's lists see only its own tokens). */
    machine: (name, scopes = []) => admin('POST', '/machines', { name, scopes }),
    requests: () => admin('GET', '/requests'),
    /**
     * Clerk API requests the server saw while `fn` ran (lanes run in turn, so none overlap). CORS preflights
     * (browsers) are left out.
     */
    async requestsDuring(fn) {
      const before = (await admin('GET', '/requests')).length;
      await fn();
      return (await admin('GET', '/requests')).slice(before).filter((r) => r.method !== 'OPTIONS');
    },
    fault: (route, fault, extra = {}) => admin('POST', '/faults', { route, fault, count: 1, ...extra }),
    clearFaults: () => admin('DELETE', '/faults'),
    async travel(offsetMs, fn) {
      await admin('POST', '/clock', { offset_ms: offsetMs });
      try {
        return await fn();
      } finally {
        await admin('POST', '/clock', { offset_ms: 0 });
      }
    },
  };
}
