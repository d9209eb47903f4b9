import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Resolver, webhookUrlRefusal } from './url-policy';

const strict = { allowedSchemes: ['https'], allowPrivateIps: false, allowedNetworks: [] as string[] };
const resolvesTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses;

describe("which webhook URLs are refused, in MLflow's words", () => {
  it('refuses what is not a URL string', async () => {
    assert.equal(await webhookUrlRefusal(42, strict), "Webhook URL must be a string, got 'int'");
    assert.equal(await webhookUrlRefusal(null, strict), "Webhook URL must be a string, got 'NoneType'");
    assert.equal(await webhookUrlRefusal('  ', strict), "Webhook URL cannot be empty or just whitespace: '  '");
    assert.equal(
      await webhookUrlRefusal('https://[::1/x', strict),
      "Invalid webhook URL 'https://[::1/x': ValueError('Invalid IPv6 URL')",
    );
  });

  it('refuses a scheme not allowed, naming the allowed ones', async () => {
    assert.equal(
      await webhookUrlRefusal('http://example.com/hook', strict),
      "Invalid webhook URL scheme: 'http'. Allowed schemes are: https.",
    );
    assert.equal(
      await webhookUrlRefusal('ftp://example.com/hook', { ...strict, allowedSchemes: ['http', 'https'] }),
      "Invalid webhook URL scheme: 'ftp'. Allowed schemes are: http, https.",
    );
    assert.equal(
      await webhookUrlRefusal('example.com/hook', strict),
      "Invalid webhook URL scheme: ''. Allowed schemes are: https.",
    );
  });

  it('refuses a URL without a hostname', async () => {
    assert.equal(
      await webhookUrlRefusal('https:///hook', strict),
      "Webhook URL must include a hostname: 'https:///hook'",
    );
    assert.equal(await webhookUrlRefusal('https:hook', strict), "Webhook URL must include a hostname: 'https:hook'");
  });

  it('accepts a hostname that resolves only to public addresses', async () => {
    assert.equal(await webhookUrlRefusal('https://8.8.8.8/hook', strict), null);
    assert.equal(await webhookUrlRefusal('https://hooks.example.com/x', strict, resolvesTo('93.184.215.14')), null);
  });

  it('refuses a hostname that resolves to a non-public address, any one of them', async () => {
    assert.equal(
      await webhookUrlRefusal('https://localhost:8443/hook', strict),
      "Webhook URL must not resolve to a non-public IP address. 'localhost' resolves to 127.0.0.1.",
    );
    assert.equal(
      await webhookUrlRefusal('https://169.254.169.254/latest/meta-data', strict),
      "Webhook URL must not resolve to a non-public IP address. '169.254.169.254' resolves to 169.254.169.254.",
    );
    assert.equal(
      await webhookUrlRefusal('https://[::ffff:10.0.0.1]/x', strict),
      "Webhook URL must not resolve to a non-public IP address. '::ffff:10.0.0.1' resolves to ::ffff:a00:1.",
    );
    assert.equal(
      await webhookUrlRefusal('https://127.1/x', strict),
      "Webhook URL must not resolve to a non-public IP address. '127.1' resolves to 127.0.0.1.",
    );
    assert.equal(
      await webhookUrlRefusal('https://mixed.example/x', strict, resolvesTo('93.184.215.14', '10.1.1.1')),
      "Webhook URL must not resolve to a non-public IP address. 'mixed.example' resolves to 10.1.1.1.",
    );
  });

  it('refuses a hostname that does not resolve', async () => {
    const refusal = await webhookUrlRefusal('https://no-such-host.invalid/x', strict);
    assert.match(
      refusal ?? '',
      /^Cannot resolve Webhook URL hostname 'no-such-host.invalid': \[Errno -(2|3)\] (Name or service not known|Temporary failure in name resolution)$/,
    );
  });

  it('accepts a private target that is allow-listed, or any when private addresses are allowed', async () => {
    assert.equal(await webhookUrlRefusal('https://localhost/x', { ...strict, allowedNetworks: ['127.0.0.0/8'] }), null);
    assert.equal(await webhookUrlRefusal('https://10.0.0.1/x', { ...strict, allowPrivateIps: true }), null);
    assert.equal(await webhookUrlRefusal('https://no-such-host.invalid/x', { ...strict, allowPrivateIps: true }), null);
  });
});
