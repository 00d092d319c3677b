export * from './workspace.ts';
export * from './wait-for.ts';
export * from './names.ts';
export * from './broker.ts';
export * from './callback-sink.ts';
export * from './sim-process.ts';
export * from './ports.ts';
export * from './cleanup.ts';
