/**
 * Uncaught errors and unhandled promise rejections as `error` events (`handled: false`; the
 * collector stores level `error`), with the stack when there is one, which also names the file
 * and line. At most MAX_ERRORS_PER_PAGE per page load, so an error thrown in a loop cannot
 * flood the queue.
 */
import { emit, safe } from '../emit.js';

export const MAX_ERRORS_PER_PAGE = 25;

export function watchErrors(): void {
  let count = 0;
  const record = (error: Error | undefined, fallback: string) =>
    count++ < MAX_ERRORS_PER_PAGE &&
    emit('error', {
      properties: {
        message: `${error?.message || fallback || error}`,
        error_type: error?.name,
        stack: error?.stack,
        handled: false,
      },
    });
  addEventListener(
    'error',
    safe((e: ErrorEvent) => record(e.error, e.message)),
  );
  addEventListener(
    'unhandledrejection',
    safe((e: PromiseRejectionEvent) => record(e.reason, '')),
  );
}
