// Node (ESM): an HTTP service that only machines allowed to call RECEIVER_MACHINE_ID may use.
//   node server.mjs
import { createServer } from 'node:http';
import { createClerkClient } from 'clerk-m2m-edge';

const receiver = process.env.RECEIVER_MACHINE_ID;
if (!receiver) throw new Error('RECEIVER_MACHINE_ID is not set: the machine id (mch_…) of this service');
if (!process.env.CLERK_SECRET_KEY) throw new Error('CLERK_SECRET_KEY is not set: the instance secret key (sk_…)');

// Reads CLERK_SECRET_KEY, CLERK_MACHINE_SECRET_KEY (this service's machine key) and CLERK_API_URL from process.env.
const clerk = createClerkClient();

/** @param {Request} request */
const handle = async (request) => {
  const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
  if (!state.isAuthenticated) {
    return Response.json({ error: 'unauthenticated', reason: state.reason }, { status: 401, headers: state.headers });
  }
  const auth = state.toAuth();
  if (!auth.has({ scope: receiver })) return Response.json({ error: 'forbidden' }, { status: 403 });
  return Response.json({ subject: auth.subject, tokenType: auth.tokenType, scopes: auth.scopes });
};

// node:http speaks IncomingMessage/ServerResponse: turn the request into a fetch Request and write the Response.
const server = createServer(async (req, res) => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  const request = new Request(new URL(req.url ?? '/', 'http://localhost'), { headers });
  const response = await handle(request).catch((e) => {
    console.error(e);
    return Response.json({ error: 'internal' }, { status: 500 });
  });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(await response.text());
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`listening on http://127.0.0.1:${address.port}`);
});
