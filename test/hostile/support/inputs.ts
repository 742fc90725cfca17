// Hostile inputs: the corpora every route and parser is fed. Fixed cases name one attack each; fast-check
// draws the random ones from a fixed seed (HOSTILE_SEED), so a failing run can be repeated exactly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/** The seed of every random draw of the suite. */
export const SEED = Number(process.env.HOSTILE_SEED ?? 20_261_202);

/** `n` values of `arbitrary`, reproducible from {@link SEED} and `salt`. */
export function sample<T>(arbitrary: fc.Arbitrary<T>, n: number, salt = 0): T[] {
  return fc.sample(arbitrary, { numRuns: n, seed: SEED + salt });
}

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');

/** A fresh copy of examples/payment-order.json. */
export function exampleOrder(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(EXAMPLES, 'payment-order.json'), 'utf8')) as Record<string, unknown>;
}

/** A body as sent: bytes or text, and its Content-Type (undefined: none sent). */
export interface Body {
  kind: string;
  contentType: string | undefined;
  payload: string | Buffer;
}

/** Billion laughs: ten levels of ten entity references (a 1 GB expansion from under 1 KB). */
export const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]>
<lolz>&lol9;</lolz>`;

/** External entities: a file of the host, a URL, a parameter entity pulling in a remote DTD. */
export const EXTERNAL_ENTITIES = [
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:1/evil">]><x>&xxe;</x>',
  '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % dtd SYSTEM "http://127.0.0.1:1/evil.dtd"> %dtd;]><x/>',
  '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
  '<?xml version="1.0"?><!DOCTYPE x PUBLIC "-//X//EN" "http://127.0.0.1:1/x.dtd"><x/>',
];

/** Quadratic blow-up: one large entity referenced many times (no nesting, defeats naive depth limits). */
export const QUADRATIC_BLOWUP = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "${'a'.repeat(50_000)}">]><x>${'&a;'.repeat(5_000)}</x>`;

/** Every DTD-bearing document of the suite. */
export const DTD_DOCUMENTS: readonly { kind: string; xml: string }[] = [
  { kind: 'billion-laughs', xml: BILLION_LAUGHS },
  { kind: 'quadratic-blowup', xml: QUADRATIC_BLOWUP },
  ...EXTERNAL_ENTITIES.map((xml) => ({ kind: 'external-entity', xml })),
];

/** JSON nested `depth` levels deep, as arrays or objects. */
export function deepJson(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** The order's JSON with `name` of the payee replaced by raw `bytes` (an encoding the parser must judge). */
export function orderWithRawName(bytes: Buffer): Buffer {
  const order = exampleOrder();
  (order.payee as Record<string, unknown>).name = '\u0000MARK\u0000';
  const [before, after] = JSON.stringify(order).split('\\u0000MARK\\u0000');
  return Buffer.concat([Buffer.from(before ?? ''), bytes, Buffer.from(after ?? '')]);
}

/** Byte sequences that are not UTF-8, or UTF-8 that lies. */
export const BAD_UTF8: readonly { kind: string; bytes: Buffer }[] = [
  { kind: 'windows-1251-as-utf8', bytes: Buffer.from([0xcf, 0xf0, 0xee, 0xec, 0xf1, 0xe5, 0xf0, 0xe2, 0xe8, 0xf1]) },
  { kind: 'overlong-utf8', bytes: Buffer.from([0xc0, 0xaf, 0xe0, 0x80, 0xaf]) },
  { kind: 'utf16-surrogate-in-utf8', bytes: Buffer.from([0xed, 0xa0, 0x80]) },
  { kind: 'truncated-utf8', bytes: Buffer.from([0xd0]) },
  { kind: 'lone-continuation', bytes: Buffer.from([0x80, 0xbf]) },
  { kind: 'five-byte-utf8', bytes: Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]) },
];

/**
 * Bodies for a route taking JSON: malformed JSON, wrong content types, DTDs, deep nesting, invalid
 * encodings, oversized bodies, prototype poisoning, random JSON values and (with `valid`) a valid body in
 * the wrong dress. `valid` is a body the route would accept; it is only ever sent in a form that must be
 * refused.
 */
export function hostileBodies(options: { bodyLimit: number; valid?: unknown; random: number; salt: number }): Body[] {
  const valid = JSON.stringify(options.valid ?? { a: 1 });
  const json = 'application/json';
  const out: Body[] = [];
  const add = (kind: string, payload: string | Buffer, contentType: string | undefined = json) =>
    out.push({ kind, contentType, payload });

  // Malformed JSON: fixed shapes, every truncation point of the valid body (sampled), random text.
  for (const text of [
    '',
    ' ',
    '{',
    '}',
    '{"a":}',
    '{"a" 1}',
    "{'a':1}",
    '{"a":1,}',
    '[1,2',
    '{"a":1}{"b":2}',
    '{"a":1} trailing',
    '{"a":NaN}',
    '{"a":Infinity}',
    '{"a":undefined}',
    '{/*c*/"a":1}',
    '{"a":"\\x41"}',
    '{"a":"\\u12"}',
    '{"a":"unterminated}',
    'null',
    'true',
    '0',
    '"string"',
    '\ufeff{"a":1}',
  ]) {
    add('malformed-json', text);
  }
  const cuts = sample(fc.integer({ min: 1, max: Math.max(1, valid.length - 1) }), 20, options.salt);
  for (const cut of cuts) add('malformed-json', valid.slice(0, cut));
  for (const text of sample(fc.string({ maxLength: 200, unit: 'binary' }), options.random, options.salt + 1)) {
    add('malformed-json', text);
  }

  // Valid JSON that is not the document: random values and prototype poisoning.
  for (const value of sample(fc.jsonValue({ maxDepth: 5 }), options.random, options.salt + 2)) {
    add('random-json', JSON.stringify(value));
  }
  for (const text of [
    '{"__proto__":{"isAdmin":true}}',
    '{"constructor":{"prototype":{"isAdmin":true}}}',
    `{"a":1,"__proto__":${valid}}`,
  ]) {
    add('prototype-poisoning', text);
  }

  // Wrong content types around a body the route would accept.
  for (const contentType of [
    undefined,
    'text/plain',
    'text/html',
    'application/xml',
    'text/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----x',
    'application/octet-stream',
    'application/cms',
    'application/jsonp',
    'application/json-patch+json',
    'application/json; charset=windows-1251',
    'application/json; charset=koi8-r',
    'application/json; charset=utf-16',
    'application/json; charset=',
    'application/json; charset="nonsense"',
    '*/*',
    'json',
    ';;;',
    'a'.repeat(2000),
  ]) {
    add('wrong-content-type', valid, contentType);
  }

  // DTDs and entity expansion: as an XML body, and inside a JSON string.
  for (const { kind, xml } of DTD_DOCUMENTS) {
    add(kind, xml, 'application/xml');
    add(kind, JSON.stringify({ a: xml }));
  }

  // Deep nesting.
  for (const depth of [65, 1_000, 100_000]) {
    add('deep-nesting', deepJson(depth, 'array'));
    add('deep-nesting', deepJson(depth, 'object'));
  }
  add('deep-nesting', `{"a":${deepJson(10_000, 'array')}}`);

  // Invalid encodings: bytes that are not UTF-8 where a string should be, and UTF-16.
  for (const { kind, bytes } of BAD_UTF8) {
    add(kind, Buffer.concat([Buffer.from('{"a":"'), bytes, Buffer.from('"}')]));
  }
  add('utf16-body', Buffer.from(valid, 'utf16le'));
  add('utf16-body', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(valid, 'utf16le')]));
  add('nul-bytes', Buffer.from(`{"a":"x\u0000y"}\u0000`, 'utf8'));

  // Oversized: just over the limit, and far over it; one of them a valid JSON document.
  add('oversized', `[${'0,'.repeat(Math.ceil(options.bodyLimit / 2))}0]`);
  add('oversized', `{"a":"${'x'.repeat(options.bodyLimit)}"}`);
  add('oversized', Buffer.alloc(options.bodyLimit * 4, 0x20));

  // Large but within the limit: long strings, huge numbers, many keys.
  add('large-values', JSON.stringify({ a: 'x'.repeat(Math.floor(options.bodyLimit / 2)) }));
  add('large-values', '{"a":1e400,"b":-1e400,"c":123456789012345678901234567890}');
  add('large-values', JSON.stringify(Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]))));
  return out;
}

/** Values a path parameter is given: traversal, encodings, injections, lengths. */
export function hostileParams(random: number, salt: number): { kind: string; value: string }[] {
  const fixed = [
    '..%2F..%2Fetc%2Fpasswd',
    '..',
    '.',
    '%00',
    'a%00b',
    '%ZZ',
    '%',
    '%C0%AF',
    '%ED%A0%80',
    '%FF',
    encodeURIComponent("1' or '1'='1"),
    encodeURIComponent('1; drop table orders; --'),
    // A log4shell lookup, as text (not a template).
    encodeURIComponent(['$', '{jndi:ldap://127.0.0.1:1/x}'].join('')),
    encodeURIComponent('<script>alert(1)</script>'),
    encodeURIComponent('Пром'),
    encodeURIComponent('\u202e\u0000\r\n'),
    'a'.repeat(99),
    'a'.repeat(101),
    'a'.repeat(10_000),
    '00000000-0000-0000-0000-000000000000',
    '-1',
    '9'.repeat(40),
    '__proto__',
    'constructor',
  ].map((value) => ({ kind: 'path-param', value }));
  const drawn = sample(fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }), random, salt).map((s) => ({
    kind: 'path-param',
    value: encodeURIComponent(s),
  }));
  return [...fixed, ...drawn];
}

/** Query strings: unknown keys, repeated keys, wrong types, bracket notation, date edges, random text. */
export function hostileQueries(random: number, salt: number): { kind: string; query: string }[] {
  const fixed = [
    'limit=-1',
    'limit=0',
    'limit=1e999',
    'limit=abc',
    'limit=1&limit=2',
    'limit[]=1',
    'limit[a]=1',
    '__proto__[x]=1',
    'constructor[prototype][x]=1',
    'status=__proto__',
    'status=executed&status=sent',
    'cursor=',
    'cursor=%00',
    `cursor=${'A'.repeat(64)}`,
    `cursor=${Buffer.from('seq:99999999999999999999').toString('base64url')}`,
    `cursor=${Buffer.from('seq:-1').toString('base64url')}`,
    'from=0000-01-01T00:00:00Z',
    'from=9999-12-31T23:59:60Z',
    'to=2025-02-29T00:00:00Z',
    'from=2025-04-15T25:61:61Z',
    'from=-infinity',
    'to=294277-01-01T00:00:00Z',
    'after=99999999999999999999',
    'after=-1',
    'after=1e3',
    `${'k'.repeat(5_000)}=1`,
    'a=%ZZ',
    'a=%00',
    '&&&==&',
  ].map((query) => ({ kind: 'query', query }));
  const drawn = sample(
    fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40, unit: 'grapheme' }), { maxKeys: 4 }),
    random,
    salt,
  ).map((entries) => ({ kind: 'query', query: new URLSearchParams(entries).toString() }));
  return [...fixed, ...drawn];
}

/** Header values a route meets: request ids that would forge log lines, idempotency keys out of pattern. */
export function hostileHeaders(random: number, salt: number): { kind: string; headers: Record<string, string> }[] {
  const fixed: Record<string, string>[] = [
    { 'x-request-id': 'a\n{"level":60,"msg":"forged"}' },
    { 'x-request-id': 'x'.repeat(10_000) },
    { 'idempotency-key': '' },
    { 'idempotency-key': 'k'.repeat(129) },
    { 'idempotency-key': 'key with spaces' },
    { 'idempotency-key': '../../etc/passwd' },
    { 'idempotency-key': 'ключ' },
    { 'content-length': '0' },
    { accept: 'application/xml' },
    { 'accept-encoding': 'gzip, deflate, br, zstd, *;q=0' },
    { 'x-forwarded-for': '1.2.3.4, 5.6.7.8' },
    { host: 'evil.example' },
  ];
  const drawn = sample(fc.string({ maxLength: 60 }), random, salt).map((value) => ({
    'idempotency-key': value.replace(/[^\x20-\x7e]/g, ''),
  }));
  return [...fixed, ...drawn].map((headers) => ({ kind: 'header', headers }));
}

/**
 * Mutations of a valid document: a field set to a random JSON value, removed, or an unknown field added;
 * strings replaced by DTDs, markup, control characters and long text. Some mutations leave the document
 * valid — the caller counts those as accepted, not refused.
 */
export function mutatedDocuments(valid: Record<string, unknown>, n: number, salt: number): unknown[] {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    }
    if (path.length > 0) paths.push(path);
  };
  walk(valid, []);
  const hostileStrings = fc.oneof(
    fc.constantFrom(
      BILLION_LAUGHS,
      EXTERNAL_ENTITIES[0] ?? '',
      ']]></Purpose><Payee>evil</Payee><Purpose><![CDATA[',
      '&lol;&#x0;&#0;&amp',
      '\u0000\u0001\u001f\u007f',
      '\ud800',
      '\u202e',
      'Пром\u00a0сбер',
      'x'.repeat(100_000),
      '',
      ' ',
    ),
    fc.string({ maxLength: 300, unit: 'grapheme' }),
  );
  const change = fc.record({
    path: fc.constantFrom(...paths),
    action: fc.constantFrom('set-json', 'set-string', 'delete', 'add'),
    json: fc.jsonValue({ maxDepth: 3 }),
    text: hostileStrings,
  });
  return sample(fc.array(change, { minLength: 1, maxLength: 3 }), n, salt).map((changes) => {
    const doc = structuredClone(valid);
    for (const c of changes) {
      let node = doc as Record<string, unknown>;
      for (const key of c.path.slice(0, -1)) {
        const next = node[key];
        if (next === null || typeof next !== 'object' || Array.isArray(next)) break;
        node = next as Record<string, unknown>;
      }
      const last = c.path.at(-1) ?? 'x';
      if (c.action === 'delete') delete node[last];
      else if (c.action === 'set-json') node[last] = c.json;
      else if (c.action === 'set-string') node[last] = c.text;
      else node[`${last}_extra`] = c.json;
    }
    return doc;
  });
}
