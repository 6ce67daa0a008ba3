/**
 * crynux-config's dialog settings → client options: each problem is a ConfigError that names
 * the setting in words a user can act on (no "from 1 to 9007199254740991", no bare URL errors
 * for empty fields, a gas limit that cannot pay for createTask refused with what it needs).
 */
import assert from 'node:assert/strict';
import { ConfigError } from '../../lib/errors';
import { NETWORK_PRESETS, parseConfigSettings, type ConfigSettings } from '../../nodes/crynux-config.options';
import { parseWhole } from '../../nodes/shared';

const devnet = NETWORK_PRESETS.devnet;
const base: ConfigSettings = { ...devnet, gasLimitMode: 'fixed', gasLimit: '5000000', pollInterval: '2', lowBalance: '' };

function refused(settings: Partial<ConfigSettings>, message: string): void {
  assert.throws(() => parseConfigSettings({ ...base, ...settings }), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.message, message);
    return true;
  });
}

describe('crynux-config settings', () => {
  it('accepts the devnet preset with the usual fixed gas limit, and "estimate"', () => {
    assert.equal(parseConfigSettings(base).client.gasLimit, 5_000_000n);
    assert.equal(parseConfigSettings({ ...base, gasLimit: '200000' }).client.gasLimit, 200_000n);
    assert.equal(parseConfigSettings({ ...base, gasLimitMode: 'estimate', gasLimit: '1' }).client.gasLimit, 'estimate');
  });

  it('refuses a fixed gas limit below 200,000, saying createTask needs about 1,000,000', () => {
    const tooLow = (n: string) =>
      `Gas limit ${Number(n).toLocaleString('en-US')} is too low: createTask needs about 1,000,000 gas, so use at least 200,000 ` +
      '(5,000,000 is the usual fixed limit) or choose "estimate"';
    refused({ gasLimit: '21000' }, tooLow('21000'));
    refused({ gasLimit: '199999' }, tooLow('199999'));
    const range = 'Gas limit must be a whole number from 200,000 to 30,000,000 (createTask needs about 1,000,000 gas)';
    refused({ gasLimit: '50000000' }, range);
    refused({ gasLimit: 'lots' }, range);
  });

  it('says "Relay URL is required" for an empty relay URL', () => {
    refused({ relayUrl: '' }, 'Relay URL is required');
    refused({ relayUrl: '  ' }, 'Relay URL is required');
    refused({ relayUrl: 'ftp://x' }, 'Relay URL must be an http(s) URL (got "ftp://x")');
  });

  it('states open ranges as "at least", never up to 9007199254740991', () => {
    refused({ chainId: '0' }, 'Chain id must be a whole number of at least 1');
    refused({ gasPriceMode: 'fixed', gasPrice: 'cheap' }, 'Gas price (wei) must be a whole number of at least 0');
    assert.throws(() => parseWhole('-1', 'x', 1, Number.MAX_SAFE_INTEGER), /^ConfigError: x must be a whole number of at least 1$/);
    assert.throws(() => parseWhole('6', 'Confirmations', 0, 5), /^ConfigError: Confirmations must be a whole number from 0 to 5$/);
  });
});
