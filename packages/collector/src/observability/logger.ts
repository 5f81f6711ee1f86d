/** The collector's own logs: structured JSON lines on stdout (pino). */
import { type Logger, pino } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'footprint-collector' }, timestamp: pino.stdTimeFunctions.isoTime });
}
