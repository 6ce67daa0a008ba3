/**
 * The devnet tests' application is the devnet's spec-direct RawApp (SPEC §2), so these tests
 * do not depend on the library's client; plus the relay's 400 envelope for assertions.
 */
export { RawApp as TestApp, http, nowSeconds, type HttpAnswer } from '../../devnet/raw-app';
export { TASK_EVENT_TOPICS } from '../../lib/protocol';
export { keccak256 } from 'ethers';

/** The 400 envelope of SPEC §4.1. */
export function validation(field: string, message: string) {
  return { message: 'validation_error', data: { field_name: field, message } };
}
