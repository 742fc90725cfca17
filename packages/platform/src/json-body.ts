import type { FastifyInstance, FastifyRequest } from 'fastify';
import { platformError } from './errors.js';

/**
 * Deepest nesting of arrays and objects a JSON body may have. No TwinContour document nests more than a few
 * levels (a payment order: 3); a body nested thousands deep exists only to overflow the stack of whatever
 * walks it recursively (schema validation, canonical digests) and turn a refusal into a 500.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of arrays and objects in a JSON text, counted without parsing it (strings are
 * skipped, escapes included). Stops counting once `stopAbove` is passed. Linear in the text, no recursion.
 */
export function jsonNestingDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** The `charset` parameter of a Content-Type, lower-cased; undefined when there is none. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '');
  return match ? (match[1] ?? '').toLowerCase() : undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Replaces fastify's body parsers by one strict JSON parser: the only body TwinContour's HTTP APIs take.
 *
 * - `application/json` only: `text/plain` (which fastify parses by default into a string a handler may
 *   not expect) and every other type answer 415 `PLT_UNSUPPORTED_MEDIA_TYPE`;
 * - UTF-8 only (RFC 8259 §8.1): a `charset` other than UTF-8 is 415 — a windows-1251 order read as UTF-8
 *   would silently turn the payee's name into replacement characters — and bytes that are not UTF-8 are
 *   400 `PLT_BAD_ENCODING`;
 * - at most {@link MAX_JSON_DEPTH} levels of nesting, else 400 `PLT_JSON_TOO_DEEP`;
 * - then fastify's own parser: empty or invalid JSON is 400 `PLT_BAD_JSON`, and `__proto__` /
 *   `constructor.prototype` keys are refused (prototype poisoning).
 *
 * A route that truly takes another type registers its own parser in its plugin.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
      const charset = charsetOf(request.headers['content-type']);
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
        done(platformError('PLT_UNSUPPORTED_MEDIA_TYPE', 'JSON bodies must be UTF-8 (RFC 8259); send charset=utf-8'));
        return;
      }
      let text: string;
      try {
        text = typeof body === 'string' ? body : UTF8.decode(body);
      } catch {
        done(platformError('PLT_BAD_ENCODING', 'the body is not valid UTF-8'));
        return;
      }
      if (jsonNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
        done(platformError('PLT_JSON_TOO_DEEP', `the body nests deeper than ${MAX_JSON_DEPTH} levels`));
        return;
      }
      // fastify types the parser as possibly async; the default JSON parser calls `done` synchronously.
      void parseJson(request, text, done);
    },
  );
}
