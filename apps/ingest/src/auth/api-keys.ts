import { createHash } from 'node:crypto';
import type { ApiKeyConfig } from '../config/env.config.ts';

/**
 * Bearer API keys → tenant. Keys are held and looked up by their SHA-256 only: the lookup's
 * timing depends on the digest, never on how much of a guessed key matches a real one, and the
 * keys themselves are not kept in memory beyond boot.
 */
export interface ApiKeyAuthenticator {
  /** The tenant of the `Authorization` header's bearer key, or undefined. */
  tenantOf(authorization: string | undefined): string | undefined;
}

const digest = (key: string): string => createHash('sha256').update(key).digest('base64');

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

export function createApiKeyAuthenticator(keys: readonly ApiKeyConfig[]): ApiKeyAuthenticator {
  const tenants = new Map(keys.map(({ key, tenant }) => [digest(key), tenant]));
  return {
    tenantOf(authorization) {
      if (authorization === undefined) return undefined;
      const token = BEARER.exec(authorization)?.[1];
      return token === undefined ? undefined : tenants.get(digest(token));
    },
  };
}
