/** @footprint/collector: the ingestion server, WAL, loader and read API. */
export { type CollectorOptions, dataPaths, type RunningCollector, startCollector } from './app.js';
export { type Config, ConfigError, loadConfig } from './config.js';
export { type ErrorCode, FootprintError } from './errors.js';
export { type ErasureReport, rawIdOnly, type StoredIdOf } from './governance/erasure.js';
export type { RetentionReport } from './governance/retention.js';
export { COLUMNS } from './model/columns.js';
export type { StoredRow } from './model/row.js';
export type { ErasureStore, RetentionStore } from './sinks/governance.js';
export type { LoadResult, Sink } from './sinks/sink.js';
