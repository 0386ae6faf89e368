// Cold breakdown (lane 11): jose 6, `importSPKI` of the PEM at the first request, then `jwtVerify(token, key)`.
import { importSPKI, jwtVerify } from 'jose';
import { coldWorker } from './cold-common.js';

let key;
export default coldWorker(async (token, env) => {
  key ??= await importSPKI(env.CLERK_JWT_KEY, 'RS256');
  return (await jwtVerify(token, key, { algorithms: ['RS256'] })).payload.sub;
});
