import { z } from 'zod';

const perMinute = z.number().int().nonnegative();

/**
 * One model's limits, per minute, as continuously refilled token buckets (the API's own model).
 * 0 turns a dimension off (no bucket, no headers for it).
 */
export const modelLimitsSchema = z.strictObject({
  /** Requests per minute. */
  rpm: perMinute,
  /** Input tokens per minute (cache reads do not count, as on the API). */
  itpm: perMinute,
  /** Output tokens per minute; a request reserves `max_tokens` up front, the rest is refunded. */
  otpm: perMinute,
});
export type ModelLimits = z.infer<typeof modelLimitsSchema>;

/** Per-model overrides, by model id (aliases and dated ids are separate models, as on the API). */
export const perModelLimitsSchema = z.record(z.string().min(1), modelLimitsSchema.partial());
export type PerModelLimits = z.infer<typeof perModelLimitsSchema>;

export interface RateLimitSettings {
  /** Limits of every model without an override. */
  defaults: ModelLimits;
  perModel: PerModelLimits;
}

/** The limits that apply to `model`. */
export function limitsFor(settings: RateLimitSettings, model: string): ModelLimits {
  const override = settings.perModel[model];
  return {
    rpm: override?.rpm ?? settings.defaults.rpm,
    itpm: override?.itpm ?? settings.defaults.itpm,
    otpm: override?.otpm ?? settings.defaults.otpm,
  };
}
