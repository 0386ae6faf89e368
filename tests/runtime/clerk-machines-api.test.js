// Every case of Clerk's own `packages/backend/src/api/__tests__/MachineApi.test.ts` (clerk/javascript), in every
// runtime lane: its fixtures, the requests it checks and the fields it reads. Clerk answers with msw handlers behind
// `validateHeaders`; here the client's `fetch` option is the fake Backend API of clerk-m2m-api.test.js, which does
// the same, so no network is used.
import { assert } from './harness.js';
import { fakeBackendApi, jsonResponse } from './clerk-m2m-api.test.js';

const API_URL = 'https://api.clerk.test';
const SECRET_KEY = 'deadbeef';
const machineId = 'machine_123';
const otherMachineId = 'machine_456';

const mockSecondMachine = {
  object: 'machine',
  id: otherMachineId,
  name: 'Second Machine',
  instance_id: 'inst_456',
  created_at: 1640995200,
  updated_at: 1640995200,
};

const mockMachine = {
  object: 'machine',
  id: machineId,
  name: 'Test Machine',
  instance_id: 'inst_123',
  created_at: 1640995200,
  updated_at: 1640995200,
  scoped_machines: [mockSecondMachine],
};

const mockMachineScope = {
  object: 'machine_scope',
  from_machine_id: machineId,
  to_machine_id: otherMachineId,
  created_at: 1640995200,
};

const mockMachineSecretKey = { secret: 'ak_test_...' };

const mockPaginatedResponse = { data: [mockMachine], total_count: 1 };

export async function register(test, lib, ctx) {
  const { createClerkClient } = lib;
  const userAgent = `clerk-m2m-edge@${lib.version()}`;
  const it = (name, body) => test(`Clerk MachineAPI › ${name}`, body);

  /** A client of `createBackendApiClient({ apiUrl, secretKey })` against a fake Backend API with these routes. */
  const setup = (routes) => {
    const api = fakeBackendApi(routes, { lane: ctx.lane, userAgent });
    return { api, apiClient: createClerkClient({ apiUrl: API_URL, secretKey: SECRET_KEY, fetch: api.fetch }) };
  };
  /** The case made exactly this one request, with the instance key; returns it. */
  const onlyRequest = (api, method, path) => {
    assert.deepEqual(api.requests.map((r) => `${r.method} ${r.path}`), [`${method} ${path}`], 'requests made');
    const [request] = api.requests;
    assert.equal(request.headers.get('authorization'), `Bearer ${SECRET_KEY}`, 'Authorization');
    assert.equal(request.headers.get('clerk-api-version'), '2026-05-12', 'Clerk-API-Version');
    return request;
  };

  it('fetches a machine by ID', async () => {
    const { api, apiClient } = setup({ [`GET /v1/machines/${machineId}`]: () => jsonResponse(mockMachine) });
    const response = await apiClient.machines.get(machineId);
    const request = onlyRequest(api, 'GET', `/v1/machines/${machineId}`);
    assert.equal(request.body, undefined, 'no body');
    assert.equal(response.id, machineId);
    assert.equal(response.name, 'Test Machine');
  });

  it('fetches machines list with query parameters', async () => {
    const { api, apiClient } = setup({ 'GET /v1/machines': () => jsonResponse(mockPaginatedResponse) });
    const response = await apiClient.machines.list({ limit: 10, offset: 5, query: 'test' });
    const request = onlyRequest(api, 'GET', '/v1/machines');
    assert.equal(request.query.get('limit'), '10');
    assert.equal(request.query.get('offset'), '5');
    assert.equal(request.query.get('query'), 'test');
    assert.equal(response.data.length, 1);
    assert.equal(response.totalCount, 1);
  });

  it('creates a machine with scoped machines', async () => {
    // Clerk passes the snake_case keys the Backend API takes; the camelCase names of CreateMachineParams give
    // the same body.
    const createParams = { name: 'New Machine', scoped_machines: [otherMachineId], default_token_ttl: 7200 };
    for (const params of [createParams, { name: 'New Machine', scopedMachines: [otherMachineId], defaultTokenTtl: 7200 }]) {
      const { api, apiClient } = setup({ 'POST /v1/machines': () => jsonResponse(mockMachine) });
      const response = await apiClient.machines.create(params);
      const request = onlyRequest(api, 'POST', '/v1/machines');
      assert.equal(JSON.stringify(request.body), JSON.stringify(createParams), 'the body, in this key order');
      assert.equal(response.id, machineId);
      assert.equal(response.name, 'Test Machine');
      assert.equal(response.scopedMachines.length, 1);
      assert.equal(response.scopedMachines[0].id, otherMachineId);
      assert.equal(response.scopedMachines[0].name, 'Second Machine');
    }
  });

  it('updates a machine with partial parameters', async () => {
    const { api, apiClient } = setup({
      [`PATCH /v1/machines/${machineId}`]: () => jsonResponse({ ...mockMachine, name: 'Updated Machine' }),
    });
    const response = await apiClient.machines.update({ machineId, name: 'Updated Machine' });
    const request = onlyRequest(api, 'PATCH', `/v1/machines/${machineId}`);
    assert.deepEqual(request.body, { name: 'Updated Machine' });
    assert.equal(response.id, machineId);
    assert.equal(response.name, 'Updated Machine');
  });

  it('deletes a machine', async () => {
    const { api, apiClient } = setup({ [`DELETE /v1/machines/${machineId}`]: () => jsonResponse(mockMachine) });
    const response = await apiClient.machines.delete(machineId);
    const request = onlyRequest(api, 'DELETE', `/v1/machines/${machineId}`);
    assert.equal(request.body, undefined, 'no body');
    assert.equal(response.id, machineId);
  });

  it('fetches machine secret key', async () => {
    const { api, apiClient } = setup({ [`GET /v1/machines/${machineId}/secret_key`]: () => jsonResponse(mockMachineSecretKey) });
    const response = await apiClient.machines.getSecretKey(machineId);
    onlyRequest(api, 'GET', `/v1/machines/${machineId}/secret_key`);
    assert.equal(response.secret, 'ak_test_...');
  });

  it('rotates a machine secret key', async () => {
    const { api, apiClient } = setup({
      [`POST /v1/machines/${machineId}/secret_key/rotate`]: () => jsonResponse({ secret: 'ak_updated_...' }),
    });
    const response = await apiClient.machines.rotateSecretKey({ machineId, previousTokenTtl: 3600 });
    const request = onlyRequest(api, 'POST', `/v1/machines/${machineId}/secret_key/rotate`);
    assert.deepEqual(request.body, { previous_token_ttl: 3600 });
    assert.equal(response.secret, 'ak_updated_...');
  });

  it('creates a machine scope', async () => {
    const { api, apiClient } = setup({ [`POST /v1/machines/${machineId}/scopes`]: () => jsonResponse(mockMachineScope) });
    const response = await apiClient.machines.createScope(machineId, otherMachineId);
    const request = onlyRequest(api, 'POST', `/v1/machines/${machineId}/scopes`);
    assert.deepEqual(request.body, { to_machine_id: otherMachineId });
    assert.equal(response.fromMachineId, machineId);
    assert.equal(response.toMachineId, otherMachineId);
  });

  it('deletes a machine scope', async () => {
    const { api, apiClient } = setup({
      [`DELETE /v1/machines/${machineId}/scopes/${otherMachineId}`]: () => jsonResponse(mockMachineScope),
    });
    const response = await apiClient.machines.deleteScope(machineId, otherMachineId);
    const request = onlyRequest(api, 'DELETE', `/v1/machines/${machineId}/scopes/${otherMachineId}`);
    assert.equal(request.body, undefined, 'no body');
    assert.equal(response.fromMachineId, machineId);
    assert.equal(response.toMachineId, otherMachineId);
  });

  // Clerk's `requireId` and `assertValidSecretKey`, which its suite relies on without a case of their own: an empty
  // id and a missing instance key never reach the Backend API.
  it('requires a machine ID and the instance secret key before any request', async () => {
    const { api, apiClient } = setup({});
    for (const call of [
      () => apiClient.machines.get(''),
      () => apiClient.machines.delete(undefined),
      () => apiClient.machines.getSecretKey(''),
      () => apiClient.machines.update({ name: 'x' }),
      () => apiClient.machines.rotateSecretKey({ machineId: '', previousTokenTtl: 0 }),
      () => apiClient.machines.createScope('', otherMachineId),
      () => apiClient.machines.deleteScope('', otherMachineId),
    ]) {
      await assert.rejects(call(), (e) => {
        assert.ok(e instanceof TypeError, `expected a TypeError, got ${e}`);
        assert.match(e.message, /^A valid resource ID is required/);
      });
    }
    const keyless = createClerkClient({ apiUrl: API_URL, machineSecretKey: 'ak_xxxxx', fetch: api.fetch });
    await assert.rejects(keyless.machines.list(), (e) => {
      assert.equal(e.name, 'ClerkConfigurationError');
      assert.match(e.message, /^Missing Clerk Secret Key\./);
    });
    assert.equal(api.requests.length, 0, 'no request');
  });
}
