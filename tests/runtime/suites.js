// Every suite that runs in every runtime lane.
import * as smoke from './smoke.test.js';

export const suites = [smoke];
