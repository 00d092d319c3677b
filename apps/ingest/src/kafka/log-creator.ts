import type { Logger } from '@claude-pipeline/telemetry';
import { logLevel, type logCreator } from 'kafkajs';

/** kafkajs logs as JSON lines of the service logger (redacted like every other line). */
export function pinoLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = entry;
      const data = { namespace, ...fields };
      if (level === logLevel.ERROR) log.error(data, message);
      else if (level === logLevel.WARN) log.warn(data, message);
      else if (level === logLevel.INFO) log.info(data, message);
      else log.debug(data, message);
    };
}
