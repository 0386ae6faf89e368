import * as jose from 'jose';
import { benchWorker } from './bench-common.js';

export default benchWorker({ jose });
