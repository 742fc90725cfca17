import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineErrorCatalog } from './codes.js';
import { AppError, createErrorFactory, isAppError, platformError, toErrorAnswer } from './errors.js';

function fastifyError(code: string, statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('toErrorAnswer', () => {
  it.each([
    [fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'Body is not valid JSON'), 400, 'PLT_BAD_JSON'],
    [fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'Body cannot be empty'), 400, 'PLT_BAD_JSON'],
    [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'), 415, 'PLT_UNSUPPORTED_MEDIA_TYPE'],
    [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large'), 413, 'PLT_BODY_TOO_LARGE'],
    [fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'size mismatch'), 400, 'PLT_BAD_REQUEST'],
    [fastifyError('FST_ERR_NOT_FOUND', 404, 'Not Found'), 404, 'PLT_NOT_FOUND'],
    [fastifyError('SOME_PLUGIN_ERROR', 406, 'not acceptable'), 400, 'PLT_BAD_REQUEST'],
    [new AppError('FRM_BIC_UNKNOWN', 422, 'unknown BIC'), 422, 'FRM_BIC_UNKNOWN'],
    [new AppError('CTL_SIGNER_DOWN', 503, 'signer unavailable'), 503, 'CTL_SIGNER_DOWN'],
    [new Error('connection to 10.0.0.5:5432 refused for user app'), 500, 'PLT_INTERNAL'],
    [fastifyError('FST_ERR_SOMETHING', 500, 'internal detail'), 500, 'PLT_INTERNAL'],
    ['a thrown string', 500, 'PLT_INTERNAL'],
    [undefined, 500, 'PLT_INTERNAL'],
  ])('%s → %i %s', (error, status, code) => {
    const answer = toErrorAnswer(error, 'req-1');
    expect(answer.statusCode).toBe(status);
    expect(answer.body).toMatchObject({ statusCode: status, code, requestId: 'req-1' });
    expect(typeof answer.body.error).toBe('string');
  });

  it('hides the internals of an unexpected 5xx', () => {
    const answer = toErrorAnswer(new Error('password=hunter2 at db.internal'), 'req-2');
    expect(answer.body.message).not.toContain('hunter2');
    expect(answer.body.message).toContain('req-2');
    expect(answer.body).not.toHaveProperty('details');
  });

  it('turns fastify validation errors into one detail per field, with dotted paths', () => {
    const error = Object.assign(new Error('body/x must be string'), {
      statusCode: 400,
      code: 'FST_ERR_VALIDATION',
      validationContext: 'body',
      validation: [
        {
          keyword: 'required',
          instancePath: '/payer',
          params: { missingProperty: 'inn' },
          schemaPath: '',
          message: 'x',
        },
        {
          keyword: 'type',
          instancePath: '/items/0/amount',
          params: { type: 'string' },
          schemaPath: '',
          message: 'must be string',
        },
        { keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'extra' }, schemaPath: '' },
        { keyword: 'enum', instancePath: '/priority', params: { allowedValues: ['1', '5'] }, schemaPath: '' },
      ],
    });
    const answer = toErrorAnswer(error, 'r');
    expect(answer.statusCode).toBe(400);
    expect(answer.body.code).toBe('PLT_VALIDATION');
    expect(answer.body.details).toEqual([
      { code: 'PLT_FIELD_REQUIRED', path: 'body.payer.inn', message: 'is required' },
      { code: 'PLT_FIELD_TYPE', path: 'body.items[0].amount', message: 'must be string' },
      { code: 'PLT_FIELD_UNKNOWN', path: 'body.extra', message: 'is not allowed here' },
      { code: 'PLT_FIELD_NOT_ALLOWED', path: 'body.priority', message: 'must be one of: "1", "5"' },
    ]);
  });

  it('answers every thrown value with the common body and an error status (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), (thrown, message) => {
        const answer = toErrorAnswer(
          thrown instanceof Object ? Object.assign(new Error(message), thrown) : thrown,
          'id',
        );
        expect(answer.statusCode).toBeGreaterThanOrEqual(400);
        expect(answer.statusCode).toBeLessThan(600);
        expect(answer.body.statusCode).toBe(answer.statusCode);
        expect(answer.body.requestId).toBe('id');
        if (answer.body.code === 'PLT_INTERNAL' && message.length > 3)
          expect(answer.body.message).not.toContain(message);
      }),
      { numRuns: 200 },
    );
  });
});

describe('AppError and catalogs', () => {
  const catalog = defineErrorCatalog({
    FRM_AMOUNT_ZERO: { status: 422, meaning: 'The amount is zero.', action: 'Send a positive amount.' },
  });
  const frm = createErrorFactory(catalog);

  it('takes status from the catalog and the meaning as default message', () => {
    const error = frm('FRM_AMOUNT_ZERO');
    expect(error).toBeInstanceOf(AppError);
    expect(error.statusCode).toBe(422);
    expect(error.message).toBe('The amount is zero.');
    expect(isAppError(error)).toBe(true);
    const detailed = frm('FRM_AMOUNT_ZERO', 'zero', [{ code: 'FRM_AMOUNT_ZERO', path: 'amount', message: 'is 0' }]);
    expect(detailed.details).toHaveLength(1);
  });

  it('keeps cause out of the answer', () => {
    const error = new AppError('X_Y', 409, 'conflict', { cause: new Error('secret internals') });
    expect(JSON.stringify(toErrorAnswer(error, 'r').body)).not.toContain('secret internals');
  });

  it('has a platform factory over PLATFORM_CODES', () => {
    expect(platformError('PLT_NOT_FOUND').statusCode).toBe(404);
  });
});
