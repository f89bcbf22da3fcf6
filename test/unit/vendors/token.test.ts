import {
  generateWebhookToken,
  minMicro1TokenLength,
  verifyMicro1Token,
  WebhookConfigurationError,
} from '../../../functions/vendors/index.js';

const current = generateWebhookToken();
const previous = generateWebhookToken();

describe('verifyMicro1Token', () => {
  it('accepts a configured token', () => {
    // Act
    const ok = verifyMicro1Token(current, [current]);

    // Assess
    expect(ok).toBe(true);
  });

  it('accepts the second of two configured tokens (rotation)', () => {
    // Act
    const ok = verifyMicro1Token(previous, [current, previous]);

    // Assess
    expect(ok).toBe(true);
  });

  it.each([
    ['a wrong token of the same length', () => generateWebhookToken()],
    ['an empty token', () => ''],
    ['no token', () => undefined],
    ['a prefix of the token', () => current.slice(0, -1)],
    ['the token with a character added', () => `${current}x`],
    ['a short token', () => 'abc'],
    ['the token in another case', () => current.toUpperCase()],
    ['an enormous token', () => current.repeat(20)],
  ])('refuses %s', (_, token) => {
    // Act
    const ok = verifyMicro1Token(token(), [current, previous]);

    // Assess
    expect(ok).toBe(false);
  });

  it.each([
    ['no configured token', []],
    ['a configured token that is too short', [current, 'short-token']],
  ])('throws a configuration error for %s', (_, tokens) => {
    // Act
    const run = () => verifyMicro1Token(current, tokens);

    // Assess
    expect(run).toThrow(WebhookConfigurationError);
  });
});

describe('generateWebhookToken', () => {
  it('makes a base64url token of 32 random bytes that verifies', () => {
    // Act
    const token = generateWebhookToken();

    // Assess
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token.length).toBeGreaterThanOrEqual(minMicro1TokenLength);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(verifyMicro1Token(token, [token])).toBe(true);
  });

  it('never repeats itself', () => {
    // Act
    const tokens = new Set(Array.from({ length: 100 }, () => generateWebhookToken()));

    // Assess
    expect(tokens.size).toBe(100);
  });

  it('makes longer tokens on request and refuses fewer than 32 bytes', () => {
    // Act
    const long = generateWebhookToken(48);
    const tooShort = () => generateWebhookToken(16);

    // Assess
    expect(Buffer.from(long, 'base64url')).toHaveLength(48);
    expect(tooShort).toThrow(RangeError);
  });
});
