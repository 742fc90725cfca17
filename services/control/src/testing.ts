import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addZk, type Signer } from '@twincontour/crypto';
import type { F2cPayload } from '@twincontour/platform';
import { orderToEd101, type PaymentOrder, writeEd101 } from '@twincontour/ufebs';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples');

/** A fresh copy of examples/payment-order.json (or budget-payment-order.json). */
export function exampleOrder(name: 'payment-order' | 'budget-payment-order' = 'payment-order'): PaymentOrder {
  return JSON.parse(readFileSync(join(EXAMPLES, `${name}.json`), 'utf8')) as PaymentOrder;
}

/** The development ED author (formation's default УИС). */
export const ED_AUTHOR = '4525545000';

/** Builds the ED101 of an order, signs it with formation's ЗК, and wraps it as formation's f2c payload. */
export async function formationPayload(
  order: PaymentOrder,
  options: { orderId: string; edNo: string; edDate?: string; signer: Signer; tamper?: (xml: Buffer) => Buffer },
): Promise<{ payload: F2cPayload; edBytes: Uint8Array }> {
  const identity = { edNo: options.edNo, edDate: options.edDate ?? '2025-04-15', edAuthor: ED_AUTHOR };
  const written = writeEd101(orderToEd101(order, identity));
  if (!written.ok) throw new Error(`${written.code}: ${written.message}`);
  const signed = await addZk(written.value, options.signer);
  if (!signed.ok) throw new Error(`${signed.code}: ${signed.message}`);
  const edBytes = options.tamper ? new Uint8Array(options.tamper(Buffer.from(signed.value))) : signed.value;
  return {
    edBytes,
    payload: {
      type: 'ed.formed',
      version: 1,
      messageId: `f2c-${options.orderId}`,
      orderId: options.orderId,
      ed: identity,
      edBase64: Buffer.from(edBytes).toString('base64'),
      formedAt: new Date().toISOString(),
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export { opensslVerifyEnvelope } from '@twincontour/crypto/testing';
