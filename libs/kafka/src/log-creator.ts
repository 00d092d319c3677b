import type { Logger } from '@claude-pipeline/telemetry';
import kafkajs, { type logCreator } from 'kafkajs';

// kafkajs is CommonJS and builds its exports with a spread, which Node's CJS named-export
// detection cannot see: take the enum from the default export.
const { logLevel } = kafkajs;

export interface KafkaLogOptions {
  /**
   * `warn`: kafkajs's ERROR lines become warnings. kafkajs logs as ERROR what it is about to
   * retry too (a leader moving, a rebalance); a service that logs at its own call sites what
   * kafkajs finally gives up on (it reaches the service as an exception) asks for this so that
   * error lines mean "needs a human". Default `error`.
   */
  errors?: 'error' | 'warn';
  /** `debug`: kafkajs's INFO lines (joins, commits, crashes it recovers from) at debug. Default `info`. */
  info?: 'info' | 'debug';
}

/** kafkajs logs as JSON lines of the service's own pino logger (redacted, trace ids). */
export function kafkaLogCreator(logger: Logger, options: KafkaLogOptions = {}): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  const errors = options.errors ?? 'error';
  const info = options.info ?? 'info';
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const fields = { namespace, ...extra };
      if (level === logLevel.ERROR || level === logLevel.NOTHING)
        kafkaLogger[errors](fields, message);
      else if (level === logLevel.WARN) kafkaLogger.warn(fields, message);
      else if (level === logLevel.INFO) kafkaLogger[info](fields, message);
      else kafkaLogger.debug(fields, message);
    };
}
