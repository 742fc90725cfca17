import type { CertificateValidator } from '@twincontour/crypto';
import { addToOutbox, type Pool, QUEUE_NAMES, withTransaction } from '@twincontour/platform';
import type { Logger } from 'pino';
import type { DeliveryAdapter, IncomingAnswer } from '../adapters/delivery/types.js';
import { answerSeen, archive, findMessageByEd, insertAnswer, lockEdIdentity } from '../adapters/message-repository.js';
import { readAnswer } from '../domain/answer.js';
import { sha256Hex, statusPayload } from '../domain/handover.js';
import type { createTransportMetrics } from '../metrics.js';

/** What became of one answer. */
export type AnswerResult =
  | { kind: 'applied'; orderId: string; stage: string }
  | { kind: 'duplicate'; orderId: string }
  | { kind: 'refused'; code: string };

/** Everything the answer processor needs. */
export interface AnswerProcessorOptions {
  pool: Pool;
  validator: CertificateValidator;
  acceptCodes: ReadonlySet<string>;
  adapter: DeliveryAdapter;
  logger: Logger;
  metrics: ReturnType<typeof createTransportMetrics>;
}

/**
 * The answer loop's work (NOTES.md, "Answers from the Bank of Russia"; 802-П п. 11, 14.3): for each
 * answer the channel offers, open it (https: EnvelopedData to transport's certificate), verify the КА
 * and the ЗК of the Bank of Russia (contour cbr), read the ED201/ED206, find our ED by its EDRefID,
 * and in one transaction archive the bytes received, record the answer (once per answer identity),
 * move the message's stage and put the t2c status in the outbox. A refused answer is archived with its
 * code, logged `event: 'security'` and changes nothing. The channel is told (`ack`) only after the
 * commit, so a crash makes the answer come again, and the answer identity makes the repeat a no-op.
 */
export function createAnswerProcessor(options: AnswerProcessorOptions) {
  const { pool, logger, metrics, adapter } = options;

  async function refuse(answer: IncomingAnswer, code: string, reason: string, sigCode?: string): Promise<AnswerResult> {
    const at = new Date();
    await archive(pool, {
      direction: 'in',
      kind: answer.kind,
      channel: adapter.channel,
      sourceRef: answer.ref,
      bytes: answer.bytes,
      sha256: sha256Hex(answer.bytes),
      code,
      reason,
      at,
    });
    await adapter.ack(answer, 'rejected');
    metrics.failures.inc({ code });
    if (sigCode) metrics.signatureFailures.inc({ code: sigCode });
    logger.warn(
      {
        event: 'security',
        code,
        ...(sigCode ? { sigCode } : {}),
        answerRef: answer.ref,
        sha256: sha256Hex(answer.bytes),
        reason,
      },
      'answer refused by transport',
    );
    return { kind: 'refused', code };
  }

  async function processAnswer(answer: IncomingAnswer): Promise<AnswerResult> {
    const opened = await adapter.open(answer);
    if (!opened.ok) return refuse(answer, 'TRN_ANSWER_DECRYPT_FAILED', `${opened.code}: ${opened.message}`);
    const envelope = opened.value;
    const read = await readAnswer(envelope, { validator: options.validator, acceptCodes: options.acceptCodes });
    if (!read.ok) return refuse(answer, read.code, read.reason, read.sigCode);
    const message = await findMessageByEd(pool, read.refersTo);
    if (message?.state !== 'sent') {
      const { edNo, edDate, edAuthor } = read.refersTo;
      return refuse(answer, 'TRN_ANSWER_UNMATCHED', `EDRefID ${edNo} of ${edDate} by ${edAuthor} names no ED sent`);
    }
    const receivedAt = new Date();
    const applied = await withTransaction(pool, async (client): Promise<AnswerResult> => {
      await lockEdIdentity(client, read.identity);
      if (await answerSeen(client, read.identity)) return { kind: 'duplicate', orderId: message.orderId };
      const common = {
        direction: 'in' as const,
        orderId: message.orderId,
        ed: message.ed,
        channel: adapter.channel,
        sourceRef: answer.ref,
        at: receivedAt,
      };
      // 802-П п. 11: the bytes as received; for https also the opened envelope, verifiable without our key.
      const archiveId = await archive(client, {
        ...common,
        kind: answer.kind,
        bytes: answer.bytes,
        sha256: sha256Hex(answer.bytes),
      });
      if (answer.kind === 'enveloped-data') {
        await archive(client, { ...common, kind: 'envelope', bytes: envelope, sha256: sha256Hex(envelope) });
      }
      await insertAnswer(client, {
        orderId: message.orderId,
        kind: read.kind,
        identity: read.identity,
        ctrlCode: read.ctrlCode,
        annotation: read.annotation,
        stage: read.stage,
        code: read.code,
        archiveId,
        sourceRef: answer.ref,
        receivedAt,
      });
      const status = statusPayload(
        message.orderId,
        message.ed,
        read.stage,
        receivedAt,
        read.code ? { code: read.code, reason: read.annotation ?? '' } : undefined,
      );
      const added = await addToOutbox(client, { id: status.messageId, queue: QUEUE_NAMES.t2c, payload: status });
      if (!added.ok) {
        // A second answer of the same stage for one order (another identity): recorded and archived, but
        // the order's stage was already reported; the first report stands.
        logger.warn(
          { code: added.code, orderId: message.orderId, stage: read.stage, answer: read.identity },
          'stage already reported',
        );
      }
      return { kind: 'applied', orderId: message.orderId, stage: read.stage };
    });
    await adapter.ack(answer, 'processed');
    if (applied.kind === 'applied') {
      metrics.answers.inc({ kind: read.kind, stage: read.stage });
      logger.info(
        { orderId: applied.orderId, stage: read.stage, answer: read.identity, kind: read.kind, code: read.code },
        'answer from the Bank of Russia',
      );
    }
    return applied;
  }

  /** One poll: fetches the answers available and processes each; true when a full batch came (poll again). */
  async function poll(): Promise<boolean> {
    const fetched = await adapter.fetchAnswers();
    if (!fetched.ok) {
      metrics.failures.inc({ code: fetched.code });
      logger.warn({ code: fetched.code, reason: fetched.message }, 'answers could not be fetched');
      return false;
    }
    for (const answer of fetched.value) await processAnswer(answer);
    return fetched.value.length >= 20;
  }

  return { processAnswer, poll };
}

/** The answer processor. */
export type AnswerProcessor = ReturnType<typeof createAnswerProcessor>;
