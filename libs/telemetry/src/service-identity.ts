import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface ServiceIdentity {
  name: string;
  version?: string;
}

/** The spec's fallback `service.name` for a Node process that names no service. */
export const UNKNOWN_SERVICE = 'unknown_service:node';

type ReadText = (path: string) => string | undefined;

const readIfPresent: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Name and version of the app whose entry file is `mainPath` (`process.argv[1]` under `--import`):
 * the nearest package.json with a name, upwards, its npm scope dropped (`@claude-pipeline/ingest`
 * → `ingest`). That is how an app "passes" its name to the `--import` entry.
 */
export function serviceIdentityOf(
  mainPath: string | undefined,
  read: ReadText = readIfPresent,
): ServiceIdentity {
  if (mainPath === undefined || mainPath === '') return { name: UNKNOWN_SERVICE };
  for (let dir = dirname(resolve(mainPath)); ; dir = dirname(dir)) {
    const text = read(join(dir, 'package.json'));
    if (text !== undefined) {
      const pkg = parsePackage(text);
      if (pkg.name !== undefined) {
        return {
          name: pkg.name.replace(/^@[^/]+\//, ''),
          ...(pkg.version === undefined ? {} : { version: pkg.version }),
        };
      }
    }
    if (dirname(dir) === dir) return { name: UNKNOWN_SERVICE };
  }
}

function parsePackage(text: string): { name?: string; version?: string } {
  try {
    const pkg: unknown = JSON.parse(text);
    if (typeof pkg !== 'object' || pkg === null) return {};
    const { name, version } = pkg as Record<string, unknown>;
    return {
      ...(typeof name === 'string' && name !== '' ? { name } : {}),
      ...(typeof version === 'string' && version !== '' ? { version } : {}),
    };
  } catch {
    return {};
  }
}
