// Node (CommonJS): an HTTP service that only machines allowed to call RECEIVER_MACHINE_ID may use.
//   node server.cjs
const { createServer } = require('node:http');
const { createClerkClient } = require('clerk-m2m-edge');

// Reads CLERK_SECRET_KEY, CLERK_MACHINE_SECRET_KEY (this service's machine key) and CLERK_API_URL from process.env.
const clerk = createClerkClient();
const receiver = process.env.RECEIVER_MACHINE_ID;

async function handle(request) {
  const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
  if (!state.isAuthenticated) {
    return Response.json({ error: 'unauthenticated', reason: state.reason }, { status: 401, headers: state.headers });
  }
  const auth = state.toAuth();
  if (!auth.has({ scope: receiver })) return Response.json({ error: 'forbidden' }, { status: 403 });
  return Response.json({ subject: auth.subject, tokenType: auth.tokenType, scopes: auth.scopes });
}

// node:http speaks IncomingMessage/ServerResponse: turn the request into a fetch Request and write the Response.
const server = createServer(async (req, res) => {
  const request = new Request(new URL(req.url, 'http://localhost'), { method: req.method, headers: req.headers });
  const response = await handle(request).catch(() => Response.json({ error: 'misconfigured' }, { status: 500 }));
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(await response.text());
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
