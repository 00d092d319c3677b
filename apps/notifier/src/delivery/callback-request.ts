import { channel } from 'node:diagnostics_channel';
import { context, propagation } from '@opentelemetry/api';
import { CORRELATION_ID, headerString, TRACEPARENT, TRACESTATE } from '@claude-pipeline/kafka';
import type { IHeaders } from 'kafkajs';
import {
  callbackFromResult,
  callbackMessageId,
  contracts,
  encode,
  type ResultRecord,
} from '@claude-pipeline/schemas';
import { createSigner, type WebhookSigner } from '@claude-pipeline/signing';
import { USER_AGENT } from '../defaults.ts';
import { NotifierError } from '../errors.ts';

/**
 * The callback POST of a result: the Standard Webhooks payload, its bytes signed with every
 * secret of the job's tenant (one `v1,` entry each, for rotation), `webhook-id` =
 * `<job id>.<generation>` (stable across retries, so receivers can drop repeats), a fresh
 * `webhook-timestamp` per attempt (receivers reject stale ones), `traceparent` and
 * `correlation-id`.
 */
export interface CallbackMessage {
  webhookId: string;
  body: string;
}

export function callbackMessage(result: ResultRecord): CallbackMessage {
  return {
    webhookId: callbackMessageId(result),
    body: encode(contracts.callbackPayload, callbackFromResult(result)),
  };
}

/** A signer per tenant, built once at boot (secrets stay in the signing lib's closures). */
export interface TenantSigners {
  signerFor(tenant: string): WebhookSigner | undefined;
}

export function createTenantSigners(
  secrets: ReadonlyMap<string, readonly string[]>,
  now: () => number = Date.now,
): TenantSigners {
  const signers = new Map<string, WebhookSigner>();
  for (const [tenant, list] of secrets) {
    signers.set(tenant, createSigner({ scheme: 'standard-webhooks', secrets: list, now }));
  }
  return { signerFor: (tenant) => signers.get(tenant) };
}

/** No secret for the tenant: a configuration gap of ours; the record is dead-lettered visibly. */
export class MissingTenantSecretError extends NotifierError {
  constructor(tenant: string) {
    super(`no callback signing secret configured for tenant "${tenant}"`);
  }
}

/**
 * When the undici OpenTelemetry instrumentation is active it adds `traceparent` to every request
 * itself (from its CLIENT span, a child of ours); undici appends rather than replaces headers, so
 * adding ours too would send two.
 */
const undiciRequests = channel('undici:request:create');

/**
 * `traceparent`/`tracestate` for the POST: the active context's (the delivery span, itself a
 * child of the record's trace) when a propagator is installed, else the job's own trace context
 * from the record, passed on as is.
 */
export function traceHeaders(recordHeaders: IHeaders): Record<string, string> {
  if (undiciRequests.hasSubscribers) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (carrier[TRACEPARENT] !== undefined) return carrier;
  const traceparent = headerString(recordHeaders, TRACEPARENT);
  const tracestate = headerString(recordHeaders, TRACESTATE);
  return {
    ...(traceparent === undefined ? {} : { [TRACEPARENT]: traceparent }),
    ...(tracestate === undefined ? {} : { [TRACESTATE]: tracestate }),
  };
}

export function callbackHeaders(
  message: CallbackMessage,
  signer: WebhookSigner,
  result: ResultRecord,
  recordHeaders: IHeaders,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...signer.sign(message.body, { id: message.webhookId }),
    [CORRELATION_ID]: result.correlation_id,
    ...traceHeaders(recordHeaders),
  };
}
