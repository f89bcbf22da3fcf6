/**
 * Generated webhook bodies for the ingest fuzz (test/unit/handlers/ingest.fuzz.test.ts), each with the
 * verdict an oracle expects once the delivery's route, size and credentials pass. The oracle is written from
 * the vendors' documented contracts (../../shared/vendors, ../../shared/seeds) — which fields the processing
 * depends on and their types — not from the valibot schemas, so the fuzz checks the schemas too.
 *
 * Valid bodies are the vendors' fixtures varied in ways that keep them valid: other ids (any well-formed
 * Unicode), unknown event types, nulls where the docs allow them, extra members, `__proto__` /
 * `constructor` / `prototype` members, duplicated keys whose last value is valid, nesting within the
 * limit, other key orders, indentation and `\u` escapes. Invalid ones add exactly one defect with a known
 * answer: a wrong type or a missing required field (400 naming its path), a duplicate whose last value is
 * wrong, a required field only present through `__proto__`, nesting over 64 levels, an unpaired surrogate,
 * a body that is not an object (400 invalid-event), truncation, invalid UTF-8 outside strings, nothing
 * (400 malformed-json). Invalid UTF-8 inside a free-text string is accepted (as U+FFFD: the ingest is
 * lenient there on purpose, the raw event store keeps the bytes), and so is a leading BOM (dropped). Chaos bodies (random bytes, random
 * JSON, a random leaf replaced) have no single answer; whatever the ingest queues is held to the field
 * table by {@link contractBreaches}.
 */
import fc from 'fast-check';
import { fixture } from './fixtures.js';
import {
  type ExtraMember,
  type Json,
  type JsonObject,
  jsonText,
  nestedText,
  plainStyle,
  reorderKeys,
  setAtPath,
  setOwn,
  type TextStyle,
  valueAtPath,
} from './json-text.js';

export type Vendor = 'round0' | 'micro1';

/** What the body alone deserves. */
export type BodyVerdict =
  | { readonly kind: 'valid' }
  | { readonly kind: 'malformed-json' }
  /** A 400 invalid-event whose `errors` name `path` (`''` for the body itself). */
  | { readonly kind: 'invalid-event'; readonly path: string }
  /** A 400, malformed-json or invalid-event. */
  | { readonly kind: 'bad' }
  /** Chaos: 202 or 400, the oracle cannot tell. */
  | { readonly kind: 'unknown' };

export interface BodyCase {
  /** The category, for the coverage check and counterexamples. */
  readonly label: string;
  readonly bytes: Buffer;
  readonly verdict: BodyVerdict;
}

/** A body case that prints as its label, verdict and text in a counterexample (not as a byte list). */
export const bodyCase = (label: string, bytes: Buffer, verdict: BodyVerdict): BodyCase =>
  Object.assign(
    { label, bytes, verdict },
    {
      [fc.toStringMethod]: () => {
        const text = bytes.toString('utf8');
        const shown =
          text.length > 600 ? `${text.slice(0, 300)}…(${bytes.length} bytes)…${text.slice(-300)}` : text;
        return `${label} ${JSON.stringify(verdict)} ${JSON.stringify(shown)}`;
      },
    },
  );

/** Planted only inside `__proto__` members: no field of a queued envelope may ever carry it. */
export const smuggledMarker = 'SMUGGLED-VIA-PROTO';

/** The deepest nesting the ingest accepts (the root object is level 1). */
export const maxNesting = 64;

// ── The vendors' contracts ────────────────────────────────────────────────────────────────────────────

type FieldKind =
  | 'key'
  | 'eventName'
  | 'seconds'
  | 'object'
  | 'percent'
  | 'mediaUrl'
  | 'dateTime'
  | 'optionalObject'
  | 'optionalText'
  | 'optionalArray'
  | 'optionalPercent'
  | 'optionalDateTime'
  | 'optionalDate'
  | 'optionalResumeScore'
  | 'optionalAtsId'
  | 'optionalKey';

interface Field {
  readonly path: readonly string[];
  readonly kind: FieldKind;
}

const field = (dotted: string, kind: FieldKind): Field => ({ path: dotted.split('.'), kind });

/** Values each kind of field must refuse (required kinds also refuse absence). */
const wrongValues: Record<FieldKind, readonly Json[]> = {
  // An id that becomes part of a dedupe key: a string of 1-255 characters, not all whitespace.
  key: [0, 1.5, true, false, null, [], {}, ['a'], '', ' ', '\t\n', 'k'.repeat(256)],
  eventName: [0, true, null, [], {}, '', '  ', 'e'.repeat(101)],
  // ROUND0 `created`: integer Unix seconds before year 10000.
  seconds: ['1640000000', 1.5, -1, 253_402_300_800, null, true, [], {}, 1e21],
  object: ['x', 0, true, null, [], [{}]],
  percent: [-0.5, 100.01, '85', null, true, [], {}],
  mediaUrl: ['', 0, null, true, [], {}],
  // micro1 `YYYY-MM-DD HH:mm:ss`, a real calendar instant.
  dateTime: [
    '2024-02-30 10:00:00',
    '2023-02-29 10:00:00',
    '2024-01-01T10:00:00',
    '2024-01-01',
    '2024-1-1 10:00:00',
    20240101,
    null,
    {},
  ],
  optionalObject: ['x', 1, true, []],
  optionalText: [1, true, {}, []],
  optionalArray: [{}, 'x', 1],
  optionalPercent: [101, -1, '50', true],
  optionalDateTime: ['2024-13-01 00:00:00', 'yesterday', 1],
  optionalDate: ['2024-02-30', '2023-02-29', '2024-01-01 10:00:00', 5],
  optionalResumeScore: [99.99, 'abc', '1000', ''],
  optionalAtsId: [1.5, true, {}, [], 2 ** 53],
  // An id that keys the ledger when present (micro1's session key): a string of at most 255 characters.
  optionalKey: [1, true, {}, [], 'k'.repeat(256)],
};

const isRequired = (kind: FieldKind) => !kind.startsWith('optional');

interface VendorContract {
  readonly fixtures: readonly string[];
  /** The discriminator: `type` (ROUND0) or `event` (micro1). */
  readonly typeField: string;
  readonly knownTypes: readonly string[];
  readonly envelope: readonly Field[];
  /** Fields each known type depends on, required or type-checked when present. */
  readonly known: Readonly<Record<string, readonly Field[]>>;
  /** Fields that hold ids, varied by valid bodies. */
  readonly idFields: readonly string[];
}

const round0Known = [
  field('data.interview', 'object'),
  field('data.interview.id', 'key'),
  field('data.candidate', 'object'),
  field('data.candidate.id', 'key'),
  field('data.job', 'optionalObject'),
  field('data.candidate.email', 'optionalText'),
  field('data.interview.status', 'optionalText'),
];

const micro1Applicant = [
  field('data.micro1_job_application_id', 'key'),
  field('data.date_modified', 'dateTime'),
  field('data.date_created', 'optionalDateTime'),
  field('data.resume_score', 'optionalResumeScore'),
  field('data.ats_job_id', 'optionalAtsId'),
  field('data.ats_job_application_id', 'optionalAtsId'),
  field('data.email_id', 'optionalText'),
];

/** The candidate members micro1's interview events share (`candidateEntries`). */
const micro1Candidate = [
  field('data.candidate_id', 'optionalKey'),
  field('data.ats_job_id', 'optionalAtsId'),
  field('data.ats_job_application_id', 'optionalAtsId'),
];

const contracts: Record<Vendor, VendorContract> = {
  round0: {
    fixtures: ['interview_started', 'interview_ended', 'test_interview_ended'],
    typeField: 'type',
    knownTypes: ['interview_started', 'interview_ended'],
    envelope: [
      field('id', 'key'),
      field('type', 'eventName'),
      field('created', 'seconds'),
      field('data', 'object'),
    ],
    known: {
      interview_started: round0Known,
      interview_ended: [
        ...round0Known,
        field('data.responses', 'optionalArray'),
        field('data.responses.0.score', 'optionalPercent'),
      ],
    },
    idFields: ['id', 'data.interview.id', 'data.candidate.id'],
  },
  micro1: {
    fixtures: [
      'applicant.completed',
      'applicant.created',
      'applicant.invited',
      'applicant.updated',
      'interview.started',
      'interview_recording.completed',
      'interview_report.created',
      'interview_webcam_recording.completed',
      'proctoring_score.completed',
    ],
    typeField: 'event',
    knownTypes: [
      'interview.started',
      'interview.completed',
      'interview_report.created',
      'interview_recording.completed',
      'interview_webcam_recording.completed',
      'proctoring_score.completed',
      'applicant.created',
      'applicant.invited',
      'applicant.updated',
      'applicant.completed',
    ],
    envelope: [field('event', 'eventName'), field('data', 'object')],
    known: {
      'interview.started': [
        field('data.candidate_id', 'key'),
        field('data.interview_id', 'key'),
        field('data.date_started', 'optionalDateTime'),
        ...micro1Candidate.filter((f) => f.path.at(-1) !== 'candidate_id'),
      ],
      'interview.completed': [...micro1Candidate, field('data.interview_id', 'optionalKey')],
      'interview_report.created': [
        field('data.report_id', 'key'),
        field('data.report_date', 'optionalDate'),
        field('data.ai_match_score', 'optionalPercent'),
        field('data.interview_transcript', 'optionalArray'),
        field('data.interview_id', 'optionalKey'),
        field('data.date_created', 'optionalDateTime'),
        field('data.date_modified', 'optionalDateTime'),
        ...micro1Candidate,
      ],
      'interview_recording.completed': [
        field('data.report_id', 'key'),
        field('data.interview_recording_url', 'mediaUrl'),
      ],
      'interview_webcam_recording.completed': [
        field('data.report_id', 'key'),
        field('data.interview_webcam_recording_url', 'mediaUrl'),
      ],
      'proctoring_score.completed': [
        field('data.report_id', 'key'),
        field('data.proctoring_score', 'percent'),
      ],
      'applicant.created': micro1Applicant,
      'applicant.invited': micro1Applicant,
      'applicant.updated': micro1Applicant,
      'applicant.completed': micro1Applicant,
    },
    idFields: [
      'data.report_id',
      'data.interview_id',
      'data.candidate_id',
      'data.micro1_job_application_id',
      'data.ats_job_application_id',
    ],
  },
};

/** `YYYY-MM-DD`, or `YYYY-MM-DD HH:mm:ss` with `withTime`, naming a real calendar day and time of day. */
const isCalendar = (text: string, withTime: boolean): boolean => {
  const pattern = withTime
    ? /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/
    : /^(\d{4})-(\d{2})-(\d{2})$/;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] =
    pattern.exec(text)?.slice(1).map(Number) ?? [];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 59;
};

/** Text a field of ids or types can hold: none of it lost to U+FFFD (a cut character, a byte not UTF-8). */
const isWhole = (value: Json | undefined): value is string =>
  typeof value === 'string' && !value.includes('\uFFFD');
const isPlainObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isPercent = (value: Json | undefined) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100;
const absent = (value: Json | undefined) => value === undefined || value === null;

/**
 * What each kind of field holds when the vendor keeps its contract (`undefined`: the field is absent), the
 * positive side of {@link wrongValues}: written from the same documents, not from the valibot schemas.
 */
const keepsContract: Record<FieldKind, (value: Json | undefined) => boolean> = {
  key: (value) => isWhole(value) && value.trim() !== '' && value.length <= 255,
  eventName: (value) => isWhole(value) && value.trim() !== '' && value.length <= 100,
  seconds: (value) =>
    Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 253_402_300_799,
  object: isPlainObject,
  percent: isPercent,
  mediaUrl: (value) => typeof value === 'string' && value.length > 0,
  dateTime: (value) => typeof value === 'string' && isCalendar(value, true),
  optionalObject: (value) => absent(value) || isPlainObject(value),
  optionalText: (value) => absent(value) || typeof value === 'string',
  optionalArray: (value) => absent(value) || Array.isArray(value),
  optionalPercent: (value) => absent(value) || isPercent(value),
  optionalDateTime: (value) => absent(value) || (typeof value === 'string' && isCalendar(value, true)),
  optionalDate: (value) => absent(value) || (typeof value === 'string' && isCalendar(value, false)),
  optionalResumeScore: (value) =>
    absent(value) || (typeof value === 'string' && /^\d{1,3}(\.\d+)?$/.test(value)),
  optionalAtsId: (value) => absent(value) || isWhole(value) || Number.isSafeInteger(value),
  optionalKey: (value) => absent(value) || (isWhole(value) && value.length <= 255),
};

/**
 * How an event breaks its vendor's contract as the table above states it, one `<path>: <why>` per field
 * (`the event: …` when it is no object; empty: it keeps the contract). Independent of the oracle's
 * verdicts and of the product's schemas, so the fuzz can hold every event that reached the queue to it,
 * chaos included.
 */
export const contractBreaches = (vendor: Vendor, event: unknown): string[] => {
  if (!isPlainObject(event as Json)) return [`the event: ${JSON.stringify(event)} is no object`];
  const value = event as JsonObject;
  const contract = contracts[vendor];
  const type = value[contract.typeField];
  // Own keys only: a type may be `constructor` or `toString`, which every object inherits.
  const known =
    typeof type === 'string' && Object.hasOwn(contract.known, type) ? (contract.known[type] ?? []) : [];
  return [...contract.envelope, ...known]
    .filter((f) => !keepsContract[f.kind](valueAtPath(value, f.path)))
    .map(
      (f) => `${f.path.join('.')}: ${JSON.stringify(valueAtPath(value, f.path)) ?? 'absent'} is no ${f.kind}`,
    );
};

/**
 * Each wrong value of the table, and absence for a required field, at each field of each vendor sample:
 * the cases the contract check must refuse at `path`.
 */
export const wrongFieldCases = (vendor: Vendor) =>
  contracts[vendor].fixtures.flatMap((name) => {
    const sample: Doc = {
      vendor,
      value: fixtureBody(vendor, name),
      extras: [],
      style: plainStyle,
      labels: [],
    };
    return fieldsOf(sample).flatMap((f) =>
      [...wrongValues[f.kind], ...(isRequired(f.kind) ? [undefined] : [])].map((value) => {
        const event = fixtureBody(vendor, name);
        setAtPath(event, f.path, value);
        return { fixture: name, path: f.path.join('.'), value, event };
      }),
    );
  });

// ── Documents ─────────────────────────────────────────────────────────────────────────────────────────

/** A body before it becomes bytes: its value, members written besides it, and its text style. */
interface Doc {
  readonly vendor: Vendor;
  readonly value: JsonObject;
  readonly extras: ExtraMember[];
  readonly style: TextStyle;
  readonly labels: readonly string[];
}

const typeOf = (doc: Doc): string => {
  const type = doc.value[contracts[doc.vendor].typeField];
  return typeof type === 'string' ? type : '';
};

/** Fields of `doc`'s type that exist in it (a mutation only targets a field the body has). */
const fieldsOf = (doc: Doc): Field[] => {
  const contract = contracts[doc.vendor];
  // Own keys only: a generated type may be `constructor` or `toString`, which every object inherits.
  const type = typeOf(doc);
  const known = Object.hasOwn(contract.known, type) ? (contract.known[type] ?? []) : [];
  return [...contract.envelope, ...known].filter((f) => valueAtPath(doc.value, f.path) !== undefined);
};

/** Paths of the objects in `value` (not inside arrays), the root included. */
const objectPaths = (value: Json, path: readonly string[] = []): string[][] => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return [[...path], ...Object.keys(value).flatMap((key) => objectPaths(value[key] as Json, [...path, key]))];
};

const pick = <T>(items: readonly T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[index % items.length];

const bytesOf = (doc: Doc): Buffer => Buffer.from(jsonText(doc.value, doc.style, doc.extras), 'utf8');

/** A copy whose value can be changed without touching the original (the fixtures are re-read anyway). */
const copyDoc = (doc: Doc, label: string): Doc => ({
  ...doc,
  value: structuredClone(doc.value),
  extras: [...doc.extras],
  labels: [...doc.labels, label],
});

/** An id: any well-formed text of 1–255 UTF-16 units, not all whitespace, often ASCII. */
const idText = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 255 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
    fc.constantFrom('evt_test_0', '0', ' a ', '%00', '../', 'a'.repeat(255), 'é', '😀'),
  )
  // U+FFFD is what text cut mid-character becomes at the door, so an id holding one is refused, as is one of
  // blanks only (schema-parts.ts).
  .filter((text) => text.trim() !== '' && text.length <= 255 && !text.includes('\uFFFD'));

const unknownTypeName = (vendor: Vendor) =>
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 100 }),
      fc.constantFrom('interview.paused', 'INTERVIEW_STARTED'),
    )
    .filter(
      (name) => name.trim() !== '' && name.length <= 100 && !contracts[vendor].knownTypes.includes(name),
    );

const dateTimeText = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => date.toISOString().slice(0, 19).replace('T', ' '));

/** Keys that mean something to a JavaScript object, never to JSON. */
const prototypeKeys = ['__proto__', 'constructor', 'prototype'] as const;

/** What a `__proto__` member holds: junk, or the fields an attacker would like to smuggle in. */
const smugglingValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constant<Json>({
    polluted: smuggledMarker,
    candidate: { email: smuggledMarker, name: smuggledMarker, id: smuggledMarker },
    candidate_email_id: smuggledMarker,
    interview_id: smuggledMarker,
    prototype: { polluted: smuggledMarker },
  }),
  fc.constant<Json>({ prototype: { polluted: smuggledMarker }, constructor: { polluted: smuggledMarker } }),
);

interface Transform {
  readonly label: string;
  apply(doc: Doc): Doc;
}

const transform = (label: string, apply: (doc: Doc) => void): Transform => ({
  label,
  apply: (doc) => {
    const next = copyDoc(doc, label);
    apply(next);
    return next;
  },
});

/** Changes that keep a body valid. */
const validTransforms = (vendor: Vendor): fc.Arbitrary<Transform> => {
  const contract = contracts[vendor];
  const vendorSpecific: Array<fc.Arbitrary<Transform>> =
    vendor === 'round0'
      ? [
          fc
            .integer({ min: 0, max: 253_402_300_799 })
            .map((created) => transform('other created', (doc) => setOwn(doc.value, 'created', created))),
          fc.constant(
            transform('nulls where allowed', (doc) => {
              for (const path of [
                'data.job',
                'data.candidate.email',
                'data.candidate.name',
                'data.responses',
              ]) {
                if (valueAtPath(doc.value, path.split('.')) !== undefined)
                  setAtPath(doc.value, path.split('.'), null);
              }
            }),
          ),
        ]
      : [
          dateTimeText.map((date) =>
            transform('other dates', (doc) => {
              for (const path of ['data.date_modified', 'data.date_started', 'data.date_created']) {
                if (valueAtPath(doc.value, path.split('.')) !== undefined)
                  setAtPath(doc.value, path.split('.'), date);
              }
            }),
          ),
          fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }).map((id) =>
            transform('numeric ATS ids', (doc) => {
              for (const path of ['data.ats_job_id', 'data.ats_job_application_id']) {
                if (valueAtPath(doc.value, path.split('.')) !== undefined)
                  setAtPath(doc.value, path.split('.'), id);
              }
            }),
          ),
          fc.double({ min: 0, max: 100, noNaN: true }).map((score) =>
            transform('other scores', (doc) => {
              for (const path of ['data.proctoring_score', 'data.ai_match_score']) {
                if (valueAtPath(doc.value, path.split('.')) !== undefined)
                  setAtPath(doc.value, path.split('.'), score);
              }
            }),
          ),
        ];
  return fc.oneof(
    fc.tuple(fc.nat(), idText).map(([index, id]) =>
      transform('other ids', (doc) => {
        const path = pick(
          contract.idFields.filter((f) => valueAtPath(doc.value, f.split('.')) !== undefined),
          index,
        );
        if (path !== undefined) setAtPath(doc.value, path.split('.'), id);
      }),
    ),
    unknownTypeName(vendor).map((name) =>
      transform('unknown event type', (doc) => setOwn(doc.value, contract.typeField, name)),
    ),
    fc
      .tuple(fc.nat(), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
      .map(([index, key, value, first]) =>
        transform('extra members', (doc) => {
          const at = pick(objectPaths(doc.value), index) ?? [];
          doc.extras.push({ at, key: `x_${key}`, value: value as Json, position: first ? 'first' : 'last' });
        }),
      ),
    fc
      .tuple(fc.nat(), fc.constantFrom(...prototypeKeys), smugglingValue, fc.boolean())
      .map(([index, key, value, first]) =>
        transform(`${key} members`, (doc) => {
          const at = pick(objectPaths(doc.value), index) ?? [];
          doc.extras.push({ at, key, value, position: first ? 'first' : 'last' });
        }),
      ),
    fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 1 })).map(([index, value]) =>
      transform('duplicated keys, the last valid', (doc) => {
        const at = pick(objectPaths(doc.value), index) ?? [];
        const parent = valueAtPath(doc.value, at) as JsonObject;
        const key = pick(Object.keys(parent), index);
        // Written before the member itself: JSON.parse keeps the last, the valid one.
        if (key !== undefined) doc.extras.push({ at, key, value: value as Json, position: 'first' });
      }),
    ),
    fc
      .tuple(
        fc.nat(),
        fc.integer({ min: 1, max: maxNesting }),
        fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>,
      )
      .map(([index, levels, kind]) =>
        transform('nesting within the limit', (doc) => {
          const at = pick(objectPaths(doc.value), index) ?? [];
          // The container is at level at.length + 1; the spliced value adds its own levels.
          const allowed = Math.min(levels, maxNesting - at.length - 1);
          if (allowed >= 1) {
            doc.extras.push({
              at,
              key: 'x_nested',
              value: { rawJson: nestedText(allowed, kind) },
              position: 'last',
            });
          }
        }),
      ),
    fc.constantFrom('reversed', 'sorted').map((order) =>
      transform(`keys ${order}`, (doc) => {
        const reordered = reorderKeys(doc.value, order as 'reversed' | 'sorted') as JsonObject;
        for (const key of Object.keys(doc.value)) delete doc.value[key];
        for (const key of Object.keys(reordered)) setOwn(doc.value, key, reordered[key] as Json);
      }),
    ),
    fc
      .record({
        indent: fc.constantFrom('', '  ', '\t') as fc.Arbitrary<TextStyle['indent']>,
        escape: fc.constantFrom('none', 'ascii-letters', 'non-ascii') as fc.Arbitrary<TextStyle['escape']>,
      })
      .map((style) => ({
        label: `text style ${style.escape}`,
        apply: (doc: Doc): Doc => ({ ...copyDoc(doc, `text style ${style.escape}`), style }),
      })),
    ...vendorSpecific,
  );
};

const fixtureBodies = new Map<string, JsonObject>();

/** A fresh copy of a fixture's body (read once). */
const fixtureBody = (vendor: Vendor, name: string): JsonObject => {
  const key = `${vendor}/${name}`;
  let body = fixtureBodies.get(key);
  if (body === undefined) {
    body = fixture(vendor, name).body as JsonObject;
    fixtureBodies.set(key, body);
  }
  return structuredClone(body);
};

const baseDoc = (vendor: Vendor): fc.Arbitrary<Doc> => {
  const names = contracts[vendor].fixtures;
  // micro1's interview.completed has no sample: its payload is undocumented, presumably interview.started's.
  const sources = vendor === 'micro1' ? [...names, 'interview.completed'] : names;
  return fc.constantFrom(...sources).map((name) => {
    const value = fixtureBody(vendor, name === 'interview.completed' ? 'interview.started' : name);
    if (name === 'interview.completed') setOwn(value, 'event', name);
    return { vendor, value, extras: [], style: plainStyle, labels: [] };
  });
};

/** A valid body of `vendor`: a fixture varied by up to four valid transforms. */
export const validDoc = (vendor: Vendor): fc.Arbitrary<Doc> =>
  fc
    .tuple(baseDoc(vendor), fc.array(validTransforms(vendor), { maxLength: 4 }))
    .map(([doc, transforms]) => transforms.reduce((current, t) => t.apply(current), doc));

export const validBody = (vendor: Vendor): fc.Arbitrary<BodyCase> =>
  validDoc(vendor).map((doc) => bodyCase('valid', bytesOf(doc), { kind: 'valid' }));

// ── Defects ───────────────────────────────────────────────────────────────────────────────────────────

const dotted = (path: readonly string[]) => path.join('.');

/** Drops members written besides `path`'s own member (a shadowing duplicate would stand in for it). */
const dropExtrasFor = (doc: Doc, path: readonly string[]) => {
  const at = JSON.stringify(path.slice(0, -1));
  const key = path.at(-1);
  for (let i = doc.extras.length - 1; i >= 0; i -= 1) {
    const extra = doc.extras[i];
    if (extra !== undefined && JSON.stringify(extra.at) === at && extra.key === key) doc.extras.splice(i, 1);
  }
};

const invalidAt = (label: string, doc: Doc, path: readonly string[]): BodyCase =>
  bodyCase(label, bytesOf(doc), { kind: 'invalid-event', path: dotted(path) });

/** Number literals `JSON.parse` reads as ±Infinity. */
const overflowingLiterals = [
  '1e400',
  '-2.5E+308',
  '0.1e0310',
  `9${'0'.repeat(320)}`,
  `1${'0'.repeat(250)}e99`,
];

/** One schema defect with a known path, chosen among the fields the body has. */
const schemaDefect = (doc: Doc): fc.Arbitrary<BodyCase> => {
  const fields = fieldsOf(doc);
  const required = fields.filter((f) => isRequired(f.kind));
  const choices: Array<fc.Arbitrary<BodyCase>> = [
    fc.tuple(fc.constantFrom(...fields), fc.nat()).map(([f, index]) => {
      const next = copyDoc(doc, 'wrong type');
      setAtPath(next.value, f.path, pick(wrongValues[f.kind], index) ?? null);
      return invalidAt('wrong type', next, f.path);
    }),
    fc.tuple(fc.constantFrom(...fields), fc.nat()).map(([f, index]) => {
      const next = copyDoc(doc, 'duplicated key, the last wrong');
      next.extras.push({
        at: f.path.slice(0, -1),
        key: f.path.at(-1) ?? '',
        value: pick(wrongValues[f.kind], index) ?? null,
        position: 'last',
      });
      return invalidAt('duplicated key, the last wrong', next, f.path);
    }),
    fc.tuple(fc.constantFrom(...fields), fc.constantFrom(...overflowingLiterals)).map(([f, literal]) => {
      // The last copy of the member wins, so the value at the field's path is ±Infinity once parsed.
      const next = copyDoc(doc, 'number too large for a double');
      next.extras.push({
        at: f.path.slice(0, -1),
        key: f.path.at(-1) ?? '',
        value: { rawJson: literal },
        position: 'last',
      });
      return invalidAt('number too large for a double', next, f.path);
    }),
  ];
  if (required.length > 0) {
    choices.push(
      fc.constantFrom(...required).map((f) => {
        const next = copyDoc(doc, 'missing field');
        setAtPath(next.value, f.path, undefined);
        dropExtrasFor(next, f.path);
        return invalidAt('missing field', next, f.path);
      }),
      // The field is there only as a member of a `__proto__` member: it must not count.
      fc.constantFrom(...required).map((f) => {
        const next = copyDoc(doc, 'required field only via __proto__');
        const original = valueAtPath(next.value, f.path) ?? null;
        setAtPath(next.value, f.path, undefined);
        dropExtrasFor(next, f.path);
        next.extras.push({
          at: f.path.slice(0, -1),
          key: '__proto__',
          value: { [f.path.at(-1) ?? '']: original },
          position: 'first',
        });
        return invalidAt('required field only via __proto__', next, f.path);
      }),
    );
  }
  return fc.oneof(...choices);
};

/**
 * Kinds of field whose text must be whole: an id or event type with an unpaired surrogate (made U+FFFD at
 * the door) is refused at its path; a date stops being one. Any other text keeps the event, as U+FFFD.
 */
const refusedWhenCut: ReadonlySet<FieldKind> = new Set([
  'key',
  'optionalKey',
  'eventName',
  'optionalAtsId',
  'dateTime',
  'optionalDateTime',
  'optionalDate',
  'optionalResumeScore',
]);

/**
 * A string somewhere in the body with an unpaired UTF-16 surrogate (`\ud800` in the JSON text): refused
 * where {@link refusedWhenCut} says, accepted anywhere else (free text, a member name of its own).
 */
const unpairedSurrogate = (doc: Doc): fc.Arbitrary<BodyCase> => {
  const strings: string[][] = [];
  const walk = (value: Json, path: string[]) => {
    if (typeof value === 'string') strings.push(path);
    else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, [...path, String(index)]);
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) walk(value[key] as Json, [...path, key]);
    }
  };
  walk(doc.value, []);
  return fc
    .tuple(fc.nat(), fc.constantFrom('\ud800', '\udfff', '\udc00x', 'x\udbff'), fc.boolean(), fc.boolean())
    .map(([index, lone, inKey, append]) => {
      const next = copyDoc(
        doc,
        inKey ? 'unpaired surrogate in a member name' : 'unpaired surrogate in a string',
      );
      if (inKey) {
        const at = pick(objectPaths(next.value), index) ?? [];
        next.extras.push({ at, key: `x_${lone}`, value: 1, position: 'last' });
        return bodyCase('unpaired surrogate in a member name', bytesOf(next), { kind: 'valid' });
      }
      const path = pick(strings, index) ?? ['id'];
      const kind = fieldsOf(next).find((f) => dotted(f.path) === dotted(path))?.kind;
      const current = valueAtPath(next.value, path);
      const text = typeof current === 'string' ? current : '';
      setAtPath(next.value, path, append ? `${text}${lone}` : `${lone}${text}`);
      return kind !== undefined && refusedWhenCut.has(kind)
        ? invalidAt('unpaired surrogate in a string', next, path)
        : bodyCase('unpaired surrogate in a string', bytesOf(next), { kind: 'valid' });
    });
};

/** Byte sequences that are never UTF-8, wherever they are inserted. */
const invalidUtf8 = [
  [0xff],
  [0xfe],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xed, 0xa0, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
];

/** Written where invalid UTF-8 goes inside a string; no style escapes these characters. */
const utf8Hole = '#%#%#';

/** Defects of the bytes themselves: not JSON any more, or not UTF-8. */
const byteDefect = (doc: Doc): fc.Arbitrary<BodyCase> => {
  const bytes = bytesOf(doc);
  const malformed = (label: string, out: Buffer) => bodyCase(label, out, { kind: 'malformed-json' });
  const withHole = copyDoc(doc, 'invalid UTF-8 in a string');
  withHole.extras.push({ at: [], key: 'x_text', value: `ab${utf8Hole}cd`, position: 'last' });
  const holeBytes = bytesOf(withHole);
  const hole = holeBytes.indexOf(utf8Hole);
  return fc.oneof(
    // Any strict prefix of an object's text lacks its closing brace.
    fc.nat({ max: bytes.length - 1 }).map((cut) => malformed('truncated', bytes.subarray(0, cut))),
    // A leading byte order mark is dropped, as RFC 8259 §8.1 allows (the signature covers it like any byte).
    fc.constant(
      bodyCase('byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]), { kind: 'valid' }),
    ),
    // Outside a string the U+FFFD it decodes to is no JSON token.
    fc
      .tuple(fc.constantFrom(0, 1, bytes.length), fc.constantFrom(...invalidUtf8))
      .map(([at, sequence]) =>
        malformed(
          'invalid UTF-8 outside strings',
          Buffer.concat([bytes.subarray(0, at), Buffer.from(sequence), bytes.subarray(at)]),
        ),
      ),
    // Inside a free-text string it is kept, as U+FFFD (the ingest is lenient there on purpose).
    fc
      .constantFrom(...invalidUtf8)
      .map((sequence) =>
        bodyCase(
          'invalid UTF-8 in a string',
          Buffer.concat([
            holeBytes.subarray(0, hole),
            Buffer.from(sequence),
            holeBytes.subarray(hole + utf8Hole.length),
          ]),
          { kind: 'valid' },
        ),
      ),
    fc.constant(malformed('empty body', Buffer.alloc(0))),
  );
};

/** Nesting over the limit, anywhere in the body. */
const tooDeep = (doc: Doc): fc.Arbitrary<BodyCase> =>
  fc
    .tuple(
      fc.nat(),
      fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1_000, max: 20_000 })),
      fc.constantFrom('array', 'object') as fc.Arbitrary<'array' | 'object'>,
    )
    .map(([index, extra, kind]) => {
      const next = copyDoc(doc, 'nested too deep');
      const at = pick(objectPaths(next.value), index) ?? [];
      const levels = maxNesting - at.length + extra - 1;
      next.extras.push({ at, key: 'x_deep', value: { rawJson: nestedText(levels, kind) }, position: 'last' });
      return invalidAt('nested too deep', next, []);
    });

/** JSON that is not an object at all. */
const notAnObject = (doc: Doc): fc.Arbitrary<BodyCase> =>
  fc
    .constantFrom<Json>([doc.value], [], 'event', 0, null, true)
    .map((value) =>
      bodyCase('not an object', Buffer.from(jsonText(value), 'utf8'), { kind: 'invalid-event', path: '' }),
    );

/** Bodies the oracle has no single answer for. */
const chaos = (doc: Doc): fc.Arbitrary<BodyCase> => {
  const leaves = objectPaths(doc.value).flatMap((path) => {
    const parent = valueAtPath(doc.value, path) as JsonObject;
    return Object.keys(parent).map((key) => [...path, key]);
  });
  return fc.oneof(
    fc
      .uint8Array({ maxLength: 300 })
      .map((bytes) => bodyCase('random bytes', Buffer.from(bytes), { kind: 'bad' })),
    fc
      .jsonValue()
      .map((value) =>
        bodyCase('random JSON', Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'), { kind: 'unknown' }),
      ),
    fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(([index, value]) => {
      const next = copyDoc(doc, 'random leaf');
      setAtPath(next.value, pick(leaves, index) ?? ['id'], value as Json);
      return bodyCase('random leaf', bytesOf(next), { kind: 'unknown' });
    }),
  );
};

/** Any body of `vendor`: valid, with exactly one defect, or chaos. */
const defects = {
  schema: schemaDefect,
  surrogate: unpairedSurrogate,
  bytes: byteDefect,
  nesting: tooDeep,
  shape: notAnObject,
} as const;

export const anyBody = (vendor: Vendor): fc.Arbitrary<BodyCase> =>
  fc.oneof(
    { weight: 4, arbitrary: validBody(vendor) },
    {
      weight: 8,
      // The defect is chosen first, so only its arbitrary is built for the generated document.
      arbitrary: fc
        .tuple(
          validDoc(vendor),
          fc.constantFrom<keyof typeof defects>(
            ...(['schema', 'schema', 'schema', 'schema', 'surrogate', 'bytes', 'bytes', 'bytes'] as const),
            'nesting',
            'shape',
          ),
        )
        .chain(([doc, defect]) => defects[defect](doc)),
    },
    { weight: 2, arbitrary: validDoc(vendor).chain(chaos) },
  );
