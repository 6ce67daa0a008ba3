export { backoffDelay, type BackoffPolicy } from './backoff';
export * from './relay-client';
export * from './download';
