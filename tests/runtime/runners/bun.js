import * as lib from 'clerk-m2m-edge';
import { report } from './report.js';
await report('bun', lib);
