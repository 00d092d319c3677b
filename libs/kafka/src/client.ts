import { Kafka, logLevel, type KafkaConfig, type logCreator, type SASLOptions } from 'kafkajs';
import type { KafkaSettings } from './config.ts';

export interface CreateKafkaOptions {
  settings: KafkaSettings;
  /** Route kafkajs logs somewhere (e.g. pino); defaults to kafkajs' console logger at WARN. */
  logCreator?: logCreator;
  logLevel?: logLevel;
}

/** Builds a kafkajs client from parsed settings (brokers, client id, TLS, SASL, timeouts). */
export function createKafka({
  settings,
  logCreator: creator,
  logLevel: level,
}: CreateKafkaOptions): Kafka {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl === false ? false : settings.ssl,
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    logLevel: level ?? logLevel.WARN,
    ...(creator ? { logCreator: creator } : {}),
  };
  if (settings.sasl) {
    // kafkajs types SASL as a union per mechanism; our settings hold one of its members.
    config.sasl = settings.sasl as SASLOptions;
  }
  return new Kafka(config);
}
