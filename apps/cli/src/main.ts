// cli is not implemented yet (issue #9). It is not started by `npm start` until it is.
console.error('cli: not implemented yet (issue #9)');
process.exitCode = 1;
