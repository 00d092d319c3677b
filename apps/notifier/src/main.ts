// notifier is not implemented yet (issue #8). It is not started by `npm start` until it is.
console.error('notifier: not implemented yet (issue #8)');
process.exitCode = 1;
