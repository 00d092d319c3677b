// anthropic-sim is not implemented yet (issue #4). It is not started by `npm start` until it is.
console.error('anthropic-sim: not implemented yet (issue #4)');
process.exitCode = 1;
