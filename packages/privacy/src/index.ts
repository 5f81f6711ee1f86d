/** @footprint/privacy: find and mask personal data before it is stored or sent. */

export * from './actions.js';
export { DETECTORS, luhnValid } from './detectors.js';
export { maskEvent } from './mask-event.js';
export * from './masker.js';
export { isSecretKey } from './secret-keys.js';
export * from './settings.js';
