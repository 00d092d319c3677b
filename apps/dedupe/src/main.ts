// dedupe is not implemented yet (issue #5). It is not started by `npm start` until it is.
console.error('dedupe: not implemented yet (issue #5)');
process.exitCode = 1;
