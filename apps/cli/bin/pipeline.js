#!/usr/bin/env node
// The `pipeline` bin. Node strips TypeScript types but refuses files under node_modules, and the
// workspace libs export their sources only under the `@claude-pipeline/source` condition. So:
// in a checkout (src/main.ts present) run the sources in a child Node with that condition; in a
// build without sources run dist/main.js in this process. PIPELINE_CLI_FROM=dist|source forces one.
/* global process, URL, console */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const from = process.env.PIPELINE_CLI_FROM ?? (existsSync(source) ? 'source' : 'dist');

if (from === 'dist') {
  await import(pathToFileURL(built).href);
} else {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@claude-pipeline/source',
      '--disable-warning=ExperimentalWarning',
      source,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  // Ctrl-C reaches the child through the terminal's process group; forward what is sent to us
  // alone (kill <pid>) and otherwise wait for the child to finish its own shutdown.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('error', (error) => {
    console.error(`pipeline: cannot start ${process.execPath}: ${error.message}`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 1);
  });
}
