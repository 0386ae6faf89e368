// Every suite that runs in every runtime lane.
import * as smoke from './smoke.test.js';
import * as m2m from './m2m.test.js';
import * as jwt from './jwt.test.js';
import * as authenticate from './authenticate.test.js';
import * as clerkM2mApi from './clerk-m2m-api.test.js';
import * as machines from './machines.test.js';
import * as clerkMachinesApi from './clerk-machines-api.test.js';
import * as sharedCache from './shared-cache.test.js';
import * as rateLimit from './rate-limit.test.js';
import * as opaqueCache from './opaque-cache.test.js';

export const suites = [smoke, m2m, jwt, authenticate, clerkM2mApi, machines, clerkMachinesApi, sharedCache, rateLimit, opaqueCache];
