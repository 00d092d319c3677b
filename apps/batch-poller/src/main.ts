// batch-poller is not implemented yet (issue #7). It is not started by `npm start` until it is.
console.error('batch-poller: not implemented yet (issue #7)');
process.exitCode = 1;
