const lib = require('clerk-m2m-edge');
import('./report.js').then(({ report }) => report('node-cjs', lib));
