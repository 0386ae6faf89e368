import { createClerkClient } from '@clerk/backend';
import { appWorker } from './app-common.js';

export default appWorker(createClerkClient);
