import * as ours from 'clerk-m2m-edge';
import { benchWorker } from './bench-common.js';

export default benchWorker({ ours });
