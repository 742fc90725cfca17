import { createHash, type KeyObject, randomUUID } from 'node:crypto';
import { type CertificateValidator, decrypt, type Signer } from '@twincontour/crypto';
import { type Pool, withTransaction } from '@twincontour/platform';
import { type EdIdentity, type XsdResult, xsdValidate } from '@twincontour/ufebs';
import type { Logger } from 'pino';
import type { EnvelopeStore } from './adapters/files.js';
import {
  findRetry,
  identityAccepted,
  insertAnswer,
  insertReceived,
  lockAnswers,
  nextEdNo,
  type ReceivedView,
} from './adapters/repository.js';
import { buildEd201, buildEd206, isoDate, paymentEds, sealAnswer } from './domain/answers.js';
import { type Assessment, assessEnvelope, type Checks } from './domain/assess.js';
import { CTRL_CODES, type CtrlCode } from './domain/ctrl-codes.js';
import { exchangeSuspended } from './incidents.js';

/** SHA-256, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What the intake needs. */
export interface IntakeOptions {
  pool: Pool;
  logger: Logger;
  /** The simulator's (cbr) signer: ЗК and КА of every answer. */
  signer: Signer;
  /** The cbr key and certificate the participant encrypts to (https). */
  recipient: { privateKey: KeyObject; certificateDer: Uint8Array };
  /** The trust store with the participant's registered certificates bound to their contours. */
  validator: CertificateValidator;
  sigMode: 'zk+ka' | 'ka';
  participant: string;
  /** УИС written as EDAuthor of the answers. */
  edAuthor: string;
  ed206DelayMs: number;
  store: EnvelopeStore;
  /** Default ufebs `xsdValidate` (xmllint with the official schemas). */
  xsd?: (ed: Uint8Array) => Promise<XsdResult>;
  clock?: () => Date;
  /** Called after answers were queued (the publisher writes them out in folder mode). */
  onQueued?: () => void;
}

/** One envelope as the channel delivered it. */
export interface Delivery {
  channel: 'https' | 'folder';
  /** X-Ed-Ref (https) or the file name (folder): a retry carries the same reference and the same envelope. */
  ref?: string | undefined;
  /** https: the CMS EnvelopedData; folder: the `sen:SigEnvelope` (the АРМ did the channel encryption). */
  bytes: Uint8Array;
}

/** What became of a delivery. */
export type IntakeResult =
  | { ok: true; value: { receipt: ReceivedView; retried: boolean } }
  | { ok: false; code: 'SIM_ENVELOPE_UNREADABLE'; message: string; receipt: ReceivedView }
  // 802-П п. 19: the exchange with the participant is suspended; nothing is taken until a cancellation.
  | { ok: false; code: 'SIM_EXCHANGE_SUSPENDED'; message: string };

/** The reception of the simulated Bank of Russia. */
export interface Intake {
  receive(delivery: Delivery): Promise<IntakeResult>;
}

/**
 * The simulated reception: decrypt (https), keep the envelope (store folder and PostgreSQL), check it (КА,
 * ЗК, XSD, then duplicate ED identity), and queue the signed answers — the ED201 at once, and for an accepted
 * payment the ED206 after `ed206DelayMs`. A retry (same reference, same envelope) is answered with the first
 * receipt and queues nothing. Everything of one envelope commits in one transaction.
 */
export function createIntake(options: IntakeOptions): Intake {
  const { pool, logger, participant } = options;
  const clock = options.clock ?? (() => new Date());
  const xsd = options.xsd ?? ((ed: Uint8Array) => xsdValidate(ed));

  function suspended(): IntakeResult {
    logger.warn({ event: 'security', code: 'SIM_EXCHANGE_SUSPENDED' }, 'envelope refused: the exchange is suspended');
    return { ok: false, code: 'SIM_EXCHANGE_SUSPENDED', message: 'the exchange is suspended (802-П п. 19)' };
  }

  async function refuseUnreadable(id: string, delivery: Delivery, code: string, message: string, now: Date) {
    const path = await options.store.put(id, now, delivery.bytes, 'p7m');
    const receipt = await insertReceived(pool, {
      id,
      participant,
      channel: delivery.channel,
      ref: delivery.ref,
      identity: undefined,
      kind: undefined,
      envelope: undefined,
      envelopeSha256: undefined,
      wire: delivery.bytes,
      wireSha256: sha256Hex(delivery.bytes),
      path,
      checks: { decrypt: { ok: false, code, message } },
      ctrlCode: undefined,
      state: 'unreadable',
    });
    logger.warn({ event: 'security', receivedId: id, code, wireSha256: receipt.wireSha256 }, 'envelope unreadable');
    return { ok: false as const, code: 'SIM_ENVELOPE_UNREADABLE' as const, message, receipt };
  }

  async function queueAnswers(
    client: Parameters<Parameters<typeof withTransaction>[1]>[0],
    receivedId: string,
    assessment: Assessment,
    ctrlCode: CtrlCode,
    now: Date,
  ): Promise<void> {
    const edDate = isoDate(now);
    const answerIdentity = async (): Promise<EdIdentity> => ({
      edNo: await nextEdNo(client, options.edAuthor, edDate),
      edDate,
      edAuthor: options.edAuthor,
    });
    const seal = async (ed: Parameters<typeof sealAnswer>[0], at: Date) => {
      const sealed = await sealAnswer(ed, options.signer, at);
      // The simulator writes these EDs itself from validated values: failing to write one is a bug.
      if (!sealed.ok) throw new Error(`cannot write ${ed.kind}: ${sealed.code}: ${sealed.message}`);
      return sealed.value.envelope;
    };
    const ed201 = buildEd201({
      identity: await answerIdentity(),
      receiver: assessment.identity?.edAuthor,
      ctrlCode,
      ctrlTime: now,
      ref: assessment.identity,
      diagnostic: assessment.diagnostic,
    });
    const envelope201 = await seal(ed201, now);
    await insertAnswer(client, {
      id: randomUUID(),
      participant,
      receivedId,
      kind: 'ED201',
      identity: { edNo: ed201.edNo, edDate: ed201.edDate, edAuthor: ed201.edAuthor },
      ctrlCode,
      envelope: envelope201,
      envelopeSha256: sha256Hex(envelope201),
      dueAt: now,
      publish: true,
    });
    if (ctrlCode !== CTRL_CODES.accepted.code) return;
    const executedAt = new Date(now.getTime() + options.ed206DelayMs);
    for (const payment of paymentEds(assessment.ed)) {
      const ed206 = buildEd206(payment, await answerIdentity(), executedAt);
      const envelope206 = await seal(ed206, now);
      await insertAnswer(client, {
        id: randomUUID(),
        participant,
        receivedId,
        kind: 'ED206',
        identity: { edNo: ed206.edNo, edDate: ed206.edDate, edAuthor: ed206.edAuthor },
        ctrlCode: undefined,
        envelope: envelope206,
        envelopeSha256: sha256Hex(envelope206),
        dueAt: executedAt,
        publish: false,
      });
    }
  }

  return {
    async receive(delivery) {
      if (await exchangeSuspended(pool, participant)) return suspended();
      const id = randomUUID();
      const now = clock();
      let envelope = delivery.bytes;
      if (delivery.channel === 'https') {
        const opened = await decrypt(delivery.bytes, options.recipient.privateKey, options.recipient.certificateDer);
        if (!opened.ok) return refuseUnreadable(id, delivery, opened.code, opened.message, now);
        envelope = opened.value;
      }
      const envelopeSha256 = sha256Hex(envelope);
      if (delivery.ref !== undefined) {
        const retry = await findRetry(pool, participant, delivery.ref, envelopeSha256);
        if (retry) return { ok: true, value: { receipt: retry, retried: true } };
      }

      const assessment = await assessEnvelope(envelope, {
        validator: options.validator,
        sigMode: options.sigMode,
        xsd,
      });
      const path = await options.store.put(id, now, envelope, 'xml');

      const outcome = await withTransaction(pool, async (client) => {
        await lockAnswers(client);
        // Under the lock the incident desk also takes: a suspension cannot slip between check and insert.
        if (await exchangeSuspended(client, participant)) return undefined;
        // Under the lock: two copies of one delivery arriving together are one delivery.
        if (delivery.ref !== undefined) {
          const retry = await findRetry(client, participant, delivery.ref, envelopeSha256);
          if (retry) return { receipt: retry, retried: true };
        }
        const checks: Checks = { ...assessment.checks };
        let ctrlCode = assessment.ctrlCode;
        if (ctrlCode === CTRL_CODES.accepted.code && assessment.identity) {
          const seen = await identityAccepted(client, participant, assessment.identity);
          checks.duplicate = seen
            ? { ok: false, message: 'an ED with this EDNo, EDDate and EDAuthor was accepted before' }
            : { ok: true };
          if (seen) ctrlCode = CTRL_CODES.duplicate.code;
        }
        const receipt = await insertReceived(client, {
          id,
          participant,
          channel: delivery.channel,
          ref: delivery.ref,
          identity: assessment.identity,
          kind: assessment.kind,
          envelope,
          envelopeSha256,
          wire: delivery.channel === 'https' ? delivery.bytes : undefined,
          wireSha256: sha256Hex(delivery.bytes),
          path,
          checks,
          ctrlCode,
          state: ctrlCode === CTRL_CODES.accepted.code ? 'accepted' : 'rejected',
        });
        await queueAnswers(client, id, assessment, ctrlCode, now);
        return { receipt, retried: false };
      });

      if (!outcome) return suspended();
      const { receipt } = outcome;
      if (!outcome.retried) {
        const fields = { receivedId: id, ed: receipt.ed, ctrlCode: receipt.ctrlCode, sha256: envelopeSha256, path };
        if (receipt.ctrlCode === CTRL_CODES.signature.code) {
          // A signature that does not verify at the Bank of Russia is a security event on the participant's side.
          logger.warn({ event: 'security', ...fields, checks: receipt.checks }, 'envelope refused: signatures');
        } else logger.info({ event: 'cbr.received', ...fields }, 'envelope received');
        if (delivery.ref !== undefined && receipt.ed && delivery.channel === 'https') {
          const named = `${receipt.ed.edAuthor}-${receipt.ed.edDate}-${receipt.ed.edNo}`;
          if (named !== delivery.ref)
            logger.warn({ receivedId: id, ref: delivery.ref }, 'X-Ed-Ref differs from the ED');
        }
        options.onQueued?.();
      }
      return { ok: true, value: outcome };
    },
  };
}
