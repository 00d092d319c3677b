/**
 * Reads a value at a dot path (`pull_request.user.login`, `items.0.id`, optionally `$.`-prefixed)
 * from a parsed JSON payload. Only own properties are followed, so a path can never reach
 * `constructor`, `__proto__` or anything else an attacker did not send.
 */
export function readPath(root: unknown, path: string): unknown {
  const segments = (path.startsWith('$.') ? path.slice(2) : path).split('.');
  let current: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/** A value usable as an id or event type: a non-empty string, or a finite number as text. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
