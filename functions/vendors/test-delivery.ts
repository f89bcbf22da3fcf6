/**
 * Test deliveries: what a vendor's dashboard sends when a user presses "send test webhook". They are
 * authenticated and validated like any event, but describe no real interview, so nothing downstream may act
 * on them (no vendor API read, no ATS write, no archive, no parking). Each vendor marks them in its own way,
 * by what its docs say; a real event must never be taken for one, so a rule only matches ids that a real
 * event cannot carry.
 */

import type { VendorName } from './envelope.js';
import { textAt } from './fields.js';

/**
 * ROUND0's dashboard test events (source: ../../shared/seeds/round0-webhook-events.md, "Use the Dashboard
 * to send test events"; ../../shared/vendors/round0.md, Delivery): the exact structure of a real event
 * with fake data, an `evt_test_…` event id and ids such as `test-interview-id`. Real event ids are
 * `evt_` + 32 hex, real interview and candidate ids are UUID-shaped (8-4-4-4-12), so neither can start so.
 *
 * A test is recognised by its event id, the documented marker, or — should the dashboard ever send a
 * test without the prefix — by both its interview and its candidate id being the guide's `test-…` ids.
 * Requiring both keeps one odd id from silently dropping a real interview.
 */
export const isRound0TestEvent = (body: unknown): boolean => {
  const eventId = textAt(body, 'id');
  if (eventId?.startsWith('evt_test_')) return true;
  const interviewId = textAt(body, 'data', 'interview', 'id');
  const candidateId = textAt(body, 'data', 'candidate', 'id');
  return interviewId?.startsWith('test-') === true && candidateId?.startsWith('test-') === true;
};

/**
 * micro1 documents no test deliveries: its event reference (../../shared/seeds/micro1-event-types.md) and
 * API docs have no "send test webhook" and no marker, and its deliveries carry no event id. The samples'
 * `TEST123`, `TESTJOBID456`, `Test Engineer` or `john.doe@test.com` are sample values, not markers (a
 * real company may well have a job called "Test Engineer"), so no micro1 event is ever a test delivery.
 */
export const isMicro1TestEvent = (_body: unknown): boolean => false;

/**
 * Whether an authenticated body (parsed JSON) of `vendor` is a test delivery from the vendor's dashboard.
 *
 * @example
 * isTestDelivery('round0', { id: 'evt_test_123456789', type: 'interview_ended', data: {} }); // true
 * isTestDelivery('round0', { id: 'evt_660f9511f30c52e5b827557766551111', … });              // false
 */
export const isTestDelivery = (vendor: VendorName, body: unknown): boolean =>
  vendor === 'round0' ? isRound0TestEvent(body) : isMicro1TestEvent(body);
