import type { Logger } from '@claude-pipeline/telemetry';
import kafkajs, { type logCreator } from 'kafkajs';

// kafkajs is CommonJS and builds its exports with a spread, which Node's CJS named-export
// detection cannot see: take the enum from the default export.
const { logLevel } = kafkajs;

/** kafkajs logs as JSON lines of the service's own pino logger (redacted, trace ids). */
export function kafkaLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const fields = { namespace, ...extra };
      if (level === logLevel.ERROR || level === logLevel.NOTHING)
        kafkaLogger.error(fields, message);
      else if (level === logLevel.WARN) kafkaLogger.warn(fields, message);
      else if (level === logLevel.INFO) kafkaLogger.info(fields, message);
      else kafkaLogger.debug(fields, message);
    };
}
