// claude-worker is not implemented yet (issue #6). It is not started by `npm start` until it is.
console.error('claude-worker: not implemented yet (issue #6)');
process.exitCode = 1;
