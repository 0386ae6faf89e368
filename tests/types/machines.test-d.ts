// `clerkClient.machines`: the names and shapes of @clerk/backend's MachineApi and its resources, compiled with
// exactOptionalPropertyTypes and noUncheckedIndexedAccess (see check.mjs).
import {
  createClerkClient,
  type CallOptions,
  type CreateMachineParams,
  type DeletedObject,
  type GetMachineListParams,
  type Machine,
  type MachineApi,
  type MachineListPromise,
  type MachineScope,
  type MachineSecretKey,
  type PaginatedResourceResponse,
  type RotateMachineSecretKeyParams,
  type UpdateMachineParams,
} from 'clerk-m2m-edge';
import { expectType } from './expect.js';

declare const env: Record<string, string | undefined>;
const clerkClient = createClerkClient({ secretKey: env.CLERK_SECRET_KEY });
expectType<MachineApi>()(clerkClient.machines);

async function calls(machineId: string, otherMachineId: string) {
  const machine = await clerkClient.machines.get(machineId);
  expectType<Machine>()(machine);
  expectType<string>()(machine.instanceId);
  expectType<number>()(machine.createdAt);
  expectType<Machine[]>()(machine.scopedMachines);
  expectType<number>()(machine.defaultTokenTtl);
  expectType<string | undefined>()(machine.secretKey);
  expectType<Machine | undefined>()(machine.scopedMachines[0]);
  await clerkClient.machines.get(machineId, { signal: AbortSignal.timeout(1000), timeoutMs: 500 });
  // @ts-expect-error the id is a string
  await clerkClient.machines.get(42);

  const listed = clerkClient.machines.list({ limit: 10, offset: 5, query: 'test' });
  expectType<MachineListPromise>()(listed);
  const page = await listed;
  expectType<PaginatedResourceResponse<Machine[]>>()(page);
  expectType<number>()(page.totalCount);
  await clerkClient.machines.list();
  await clerkClient.machines.list({ orderBy: '-created_at', limit: undefined });
  // @ts-expect-error orderBy is name or created_at, with an optional sign
  await clerkClient.machines.list({ orderBy: 'updated_at' });
  for await (const m of clerkClient.machines.list({ query: 'orders' })) expectType<Machine>()(m);

  const created = await clerkClient.machines.create({ name: 'New Machine', scopedMachines: [otherMachineId], defaultTokenTtl: 7200 });
  expectType<Machine>()(created);
  await clerkClient.machines.create({ name: 'x', scopedMachines: undefined, defaultTokenTtl: undefined });
  // @ts-expect-error name is required
  await clerkClient.machines.create({ scopedMachines: [] });
  // @ts-expect-error scopedMachines is an array of ids
  await clerkClient.machines.create({ name: 'x', scopedMachines: otherMachineId });

  expectType<Machine>()(await clerkClient.machines.update({ machineId, name: 'Updated Machine' }));
  await clerkClient.machines.update({ machineId, defaultTokenTtl: 60 });
  // @ts-expect-error the id is required
  await clerkClient.machines.update({ name: 'x' });
  // @ts-expect-error scopes change through createScope/deleteScope, not update
  await clerkClient.machines.update({ machineId, scopedMachines: [] });

  const deleted = await clerkClient.machines.delete(machineId);
  expectType<DeletedObject>()(deleted);
  expectType<string | null>()(deleted.id);
  expectType<boolean>()(deleted.deleted);

  expectType<MachineSecretKey>()(await clerkClient.machines.getSecretKey(machineId));
  const rotated = await clerkClient.machines.rotateSecretKey({ machineId, previousTokenTtl: 3600 });
  expectType<string>()(rotated.secret);
  // @ts-expect-error previousTokenTtl is required
  await clerkClient.machines.rotateSecretKey({ machineId });

  const scope = await clerkClient.machines.createScope(machineId, otherMachineId);
  expectType<MachineScope>()(scope);
  expectType<string>()(scope.fromMachineId);
  expectType<number | undefined>()(scope.createdAt);
  const removed = await clerkClient.machines.deleteScope(machineId, otherMachineId, { timeoutMs: 100 });
  expectType<boolean | undefined>()(removed.deleted);
  // @ts-expect-error createScope needs the machine to grant
  await clerkClient.machines.createScope(machineId);
}
void calls;

// The param types are Clerk's names; every call also takes the per-call options.
expectType<string>()(({} as CreateMachineParams).name);
expectType<string>()(({} as UpdateMachineParams).machineId);
expectType<number>()(({} as RotateMachineSecretKeyParams).previousTokenTtl);
expectType<string | undefined>()(({} as GetMachineListParams).query);
expectType<AbortSignal | undefined>()(({} as GetMachineListParams).signal);
const options: CallOptions = { timeoutMs: 0 };
void options;
