import { benchWorker } from './bench-common.js';

export default benchWorker({});
