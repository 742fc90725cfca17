import { randomUUID } from 'node:crypto';
import type { Queryable } from '@twincontour/platform';
import type { PaymentOrder } from '@twincontour/ufebs';
import { documentDigest, type SourceKey, sourceKeyOf } from '../domain/source-key.js';

/** A stored primary document. */
export interface StoredSource {
  id: string;
  key: SourceKey;
  document: PaymentOrder;
  documentSha256: string;
  origin: 'push' | 'pull';
  receivedAt: Date;
}

interface Row {
  id: string;
  payer_account: string;
  payer_bic: string;
  acc_doc_no: string;
  acc_doc_date: string;
  document: PaymentOrder;
  document_sha256: string;
  origin: 'push' | 'pull';
  received_at: Date;
}

const COLUMNS =
  'id, payer_account, payer_bic, acc_doc_no, acc_doc_date, document, document_sha256, origin, received_at';

function toSource(row: Row): StoredSource {
  return {
    id: row.id,
    key: {
      payerAccount: row.payer_account,
      payerBic: row.payer_bic,
      accDocNo: row.acc_doc_no,
      accDocDate: row.acc_doc_date,
    },
    document: row.document,
    documentSha256: row.document_sha256,
    origin: row.origin,
    receivedAt: row.received_at,
  };
}

/** Outcome of {@link storeSource}. */
export type StoreOutcome =
  | { kind: 'created'; source: StoredSource }
  | { kind: 'same'; source: StoredSource }
  | { kind: 'conflict'; existing: StoredSource };

/**
 * Stores a validated primary document under its key. The same document again is recognized by the
 * digest of its canonical JSON (`same`: idempotent); another document under the key is refused
 * (`conflict`): a primary document is never replaced. Creating one also wakes every ED waiting for
 * it (`pending_eds.next_check_at = now()`), in the caller's transaction.
 */
export async function storeSource(
  db: Queryable,
  document: PaymentOrder,
  origin: 'push' | 'pull',
): Promise<StoreOutcome> {
  const key = sourceKeyOf(document);
  const digest = documentDigest(document);
  const inserted = await db.query<Row>(
    `insert into source_documents (id, payer_account, payer_bic, acc_doc_no, acc_doc_date, document, document_sha256, origin)
     values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
     on conflict on constraint source_documents_key do nothing
     returning ${COLUMNS}`,
    [
      randomUUID(),
      key.payerAccount,
      key.payerBic,
      key.accDocNo,
      key.accDocDate,
      JSON.stringify(document),
      digest,
      origin,
    ],
  );
  const created = inserted.rows[0];
  if (created) {
    await db.query(
      `update pending_eds set next_check_at = now()
        where payer_account = $1 and payer_bic = $2 and acc_doc_no = $3 and acc_doc_date = $4`,
      [key.payerAccount, key.payerBic, key.accDocNo, key.accDocDate],
    );
    return { kind: 'created', source: toSource(created) };
  }
  const existing = await findSourceByKey(db, key);
  if (!existing) throw new Error('source document vanished after a key conflict');
  return existing.documentSha256 === digest ? { kind: 'same', source: existing } : { kind: 'conflict', existing };
}

/** The primary document under a key, if any. */
export async function findSourceByKey(db: Queryable, key: SourceKey): Promise<StoredSource | undefined> {
  const result = await db.query<Row>(
    `select ${COLUMNS} from source_documents
      where payer_account = $1 and payer_bic = $2 and acc_doc_no = $3 and acc_doc_date = $4`,
    [key.payerAccount, key.payerBic, key.accDocNo, key.accDocDate],
  );
  const row = result.rows[0];
  return row ? toSource(row) : undefined;
}

/** The primary document with this id, if any. */
export async function findSourceById(db: Queryable, id: string): Promise<StoredSource | undefined> {
  const result = await db.query<Row>(`select ${COLUMNS} from source_documents where id = $1`, [id]);
  const row = result.rows[0];
  return row ? toSource(row) : undefined;
}
