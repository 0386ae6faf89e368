import * as clerk from '@clerk/backend';
import { benchWorker } from './bench-common.js';

export default benchWorker({ clerk });
