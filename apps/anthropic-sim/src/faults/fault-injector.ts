import { SimConfigError } from '../errors.ts';
import { seededRandom, standardNormal, type Random } from '../random.ts';
import type {
  ErrorRates,
  FaultAction,
  FaultEndpoint,
  FaultRuleSpec,
  LatencySpec,
} from './fault.schema.ts';

/** What a request looks like to the fault rules. */
export interface FaultContext {
  endpoint: FaultEndpoint;
  model?: string | undefined;
  firstUserText?: string | undefined;
  customId?: string | undefined;
  stream?: boolean | undefined;
}

export interface FaultRule extends FaultRuleSpec {
  id: string;
  /** Times this rule has hit. */
  hits: number;
}

export interface FaultInjector {
  /** The fault for this request, if a rule or an error rate picks one (a rule's `times` is used up). */
  decide(context: FaultContext): FaultAction | undefined;
  /** A sample of the configured extra latency, milliseconds. */
  sampleLatencyMs(): number;
  addRules(specs: readonly FaultRuleSpec[]): FaultRule[];
  rules(): readonly FaultRule[];
  removeRule(id: string): boolean;
  clearRules(): void;
  errorRates(): ErrorRates;
  setErrorRates(rates: ErrorRates): void;
  latency(): LatencySpec;
  setLatency(spec: LatencySpec): void;
  /** Faults injected so far, by kind (`error_500`, `hang`, `expire`, ...). */
  injected(): Readonly<Record<string, number>>;
  /** Back to the configured rules, rates and latency; counters cleared. */
  reset(): void;
}

export interface FaultInjectorOptions {
  rules: readonly FaultRuleSpec[];
  errorRates: ErrorRates;
  latency: LatencySpec;
  seed: number;
}

/** Which contexts a rule can act in: its match, and what its action can do there. */
function applies(rule: FaultRule, context: FaultContext): boolean {
  const { match, action } = rule;
  const endpoints: readonly FaultEndpoint[] =
    match.endpoint !== undefined
      ? [match.endpoint]
      : match.custom_id !== undefined
        ? ['batch_request']
        : ['messages', 'batch_request'];
  if (!endpoints.includes(context.endpoint)) return false;
  if (match.model !== undefined && context.model !== match.model) return false;
  if (match.contains !== undefined && !(context.firstUserText ?? '').includes(match.contains)) {
    return false;
  }
  if (match.custom_id !== undefined && context.customId !== match.custom_id) return false;
  if (match.stream !== undefined && context.stream !== match.stream) return false;
  switch (action.type) {
    case 'stream_error':
    case 'stream_reset':
      return context.endpoint === 'messages' && context.stream === true;
    case 'expire':
      return context.endpoint === 'batch_request';
    case 'hang':
    case 'reset':
    case 'delay':
      return context.endpoint !== 'batch_request';
    case 'error':
      return true;
  }
}

const kindOf = (action: FaultAction): string =>
  action.type === 'error' ? `error_${action.status}` : action.type;

export function createFaultInjector(options: FaultInjectorOptions): FaultInjector {
  let random: Random = seededRandom(options.seed);
  let rules: FaultRule[] = [];
  let rates: ErrorRates = options.errorRates;
  let latency: LatencySpec = options.latency;
  let injected: Record<string, number> = {};
  let nextId = 1;

  const addRules = (specs: readonly FaultRuleSpec[]): FaultRule[] => {
    const added = specs.map((spec) => ({ ...spec, id: `fault_${nextId++}`, hits: 0 }));
    for (const rule of added) {
      if (
        rule.action.type === 'expire' &&
        rule.match.endpoint !== undefined &&
        rule.match.endpoint !== 'batch_request'
      ) {
        throw new SimConfigError(`fault rule ${rule.id}: "expire" only applies to batch_request`);
      }
    }
    rules.push(...added);
    return added;
  };

  const count = (action: FaultAction): FaultAction => {
    const kind = kindOf(action);
    injected[kind] = (injected[kind] ?? 0) + 1;
    return action;
  };

  function fromRates(endpoint: FaultEndpoint): FaultAction | undefined {
    if (endpoint === 'batch_request') return undefined;
    const table = rates[endpoint];
    if (table === undefined) return undefined;
    const roll = random();
    let cumulative = 0;
    for (const [status, probability] of Object.entries(table)) {
      cumulative += probability;
      if (roll < cumulative) return { type: 'error', status: Number(status) };
    }
    return undefined;
  }

  addRules(options.rules);
  return {
    decide(context) {
      for (const rule of rules) {
        if (!applies(rule, context)) continue;
        if (rule.probability < 1 && random() >= rule.probability) continue;
        rule.hits++;
        if (rule.times !== undefined && rule.hits >= rule.times) {
          rules = rules.filter((r) => r !== rule);
        }
        return count(rule.action);
      }
      const rated = fromRates(context.endpoint);
      return rated === undefined ? undefined : count(rated);
    },
    sampleLatencyMs() {
      if (latency.mode === 'fixed') return latency.ms;
      if (latency.median_ms === 0) return 0;
      const sample = latency.median_ms * Math.exp(latency.sigma * standardNormal(random));
      return Math.min(latency.max_ms, sample);
    },
    addRules,
    rules: () => rules,
    removeRule(id) {
      const before = rules.length;
      rules = rules.filter((r) => r.id !== id);
      return rules.length < before;
    },
    clearRules() {
      rules = [];
    },
    errorRates: () => rates,
    setErrorRates(next) {
      rates = next;
    },
    latency: () => latency,
    setLatency(next) {
      latency = next;
    },
    injected: () => injected,
    reset() {
      random = seededRandom(options.seed);
      rules = [];
      nextId = 1;
      addRules(options.rules);
      rates = options.errorRates;
      latency = options.latency;
      injected = {};
    },
  };
}
