/** @footprint/schema: the event model shared by the collector and the SDKs. */

export * from './common.js';
export * from './event.js';
export * from './footprint-types.js';
export * from './limits.js';
export * from './validate.js';
