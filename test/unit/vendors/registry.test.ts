import {
  isVendorName,
  knownEventTypes,
  parseVendorEvent,
  vendorNames,
} from '../../../functions/vendors/index.js';
import { fixture, loadFixtures } from '../../helpers/fixtures.js';
import { receivedAt } from './factories.js';

describe('isVendorName', () => {
  it.each([
    ['micro1', true],
    ['round0', true],
    ['ROUND0', false],
    ['toString', false],
    ['', false],
  ])('says %p is a vendor: %p', (name, expected) => {
    // Act
    const result = isVendorName(name);

    // Assess
    expect(result).toBe(expected);
  });
});

describe('knownEventTypes', () => {
  it('lists the ten micro1 registration types and the two ROUND0 types', () => {
    // Assess
    expect(Object.keys(knownEventTypes).sort()).toEqual([...vendorNames].sort());
    expect(knownEventTypes.micro1).toHaveLength(10);
    expect(knownEventTypes.micro1).toContain('interview.completed');
    expect(knownEventTypes.round0).toEqual(['interview_started', 'interview_ended']);
  });

  it('covers the type of every vendor sample', () => {
    // Act
    const types = loadFixtures().map(
      (sample) => [sample.vendor, sample.body as { event?: string; type?: string }] as const,
    );

    // Assess
    for (const [vendor, body] of types) expect(knownEventTypes[vendor]).toContain(body.event ?? body.type);
  });
});

describe('parseVendorEvent', () => {
  it('validates a body against the vendor it arrived for', () => {
    // Prepare
    const round0Body = fixture('round0', 'interview_started').body;

    // Act
    const result = parseVendorEvent('micro1', round0Body, receivedAt);

    // Assess
    expect(result).toEqual({ ok: false, issues: [{ path: 'event', message: expect.any(String) }] });
  });

  it('treats an own-property name of the registry as an unknown type, not a schema', () => {
    // Prepare
    const body = { event: 'constructor', data: {} };

    // Act
    const result = parseVendorEvent('micro1', body, receivedAt);

    // Assess
    expect(result.ok && result.event.known).toBe(false);
  });

  it('stamps the reception time', () => {
    // Act
    const result = parseVendorEvent(
      'round0',
      fixture('round0', 'interview_started').body,
      new Date(Date.UTC(2030, 0, 2)),
    );

    // Assess
    expect(result.ok && result.event.receivedAt).toBe('2030-01-02T00:00:00.000Z');
  });
});
