import { createClerkClient } from 'clerk-m2m-edge';
import { appWorker } from './app-common.js';

export default appWorker(createClerkClient);
