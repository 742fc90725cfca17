import type { AuditEventInput, AuditLog } from '@twincontour/audit';
import { type SignatureCheck, signatureCheckedEvents } from '@twincontour/audit';
import type { CertificateValidator } from '@twincontour/crypto';
import { addToOutbox, type Pool, QUEUE_NAMES, withTransaction } from '@twincontour/platform';
import type { Logger } from 'pino';
import type { TransportArchive } from '../adapters/archive-repository.js';
import type { DeliveryAdapter, IncomingAnswer } from '../adapters/delivery/types.js';
import { answerSeen, findMessageByEd, insertAnswer, lockEdIdentity } from '../adapters/message-repository.js';
import { type ReadAnswer, readAnswer } from '../domain/answer.js';
import { sha256Hex, statusPayload } from '../domain/handover.js';
import type { createTransportMetrics } from '../metrics.js';

/** What became of one answer. */
export type AnswerResult =
  | { kind: 'applied'; orderId: string; stage: string }
  | { kind: 'duplicate'; orderId: string }
  | { kind: 'refused'; code: string }
  /** Names an ED whose delivery has not committed `sent` yet: not taken, offered again later (issue 8). */
  | { kind: 'deferred'; orderId: string };

/** Everything the answer processor needs. */
export interface AnswerProcessorOptions {
  pool: Pool;
  validator: CertificateValidator;
  acceptCodes: ReadonlySet<string>;
  adapter: DeliveryAdapter;
  logger: Logger;
  metrics: ReturnType<typeof createTransportMetrics>;
  /** The service's audit log: the checks of the Bank of Russia's КА and ЗК and each answer received. */
  audit: AuditLog;
  /** The five-year archive (802-П п. 11): each message with its certificate chain and CRLs. */
  archive: TransportArchive;
}

/** How long an answer naming an ED still `delivering` waits for that delivery to commit before it is deferred. */
const DEFER_AFTER_MS = 1_000;

/** The actor of every event the service records on its own behalf. */
const ACTOR = 'service:transport';

/** `answer.received` of an answer applied: what it says (ED201 CtrlCode, ED206) and the stage it moved the order to. */
function answerReceivedEvent(read: ReadAnswer, orderId: string, answerRef: string, at: Date): AuditEventInput {
  return {
    type: 'answer.received',
    actor: ACTOR,
    result: 'pass',
    orderId,
    ed: read.identity,
    digest: read.fileSha256,
    details: {
      kind: read.kind,
      stage: read.stage,
      refersTo: read.refersTo,
      answerRef,
      ...(read.ctrlCode === undefined ? {} : { ctrlCode: read.ctrlCode }),
      ...(read.code === undefined ? {} : { code: read.code }),
    },
    at,
  };
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
  const { pool, logger, metrics, adapter, audit } = options;
  const archive = options.archive.append;

  async function refuse(
    answer: IncomingAnswer,
    code: string,
    reason: string,
    sigCode?: string,
    checks: readonly SignatureCheck[] = [],
    refersTo?: ReadAnswer['refersTo'],
  ): Promise<AnswerResult> {
    const at = new Date();
    // The archived answer and its events commit together (nothing half-written); the ack comes after, so
    // a crash in between offers the answer again rather than leaving it archived without its events.
    await withTransaction(pool, async (client) => {
      await archive(client, {
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
      // Nothing changes state for a refused answer: its events stand on their own.
      const events: AuditEventInput[] = [
        ...signatureCheckedEvents(checks, { actor: ACTOR }),
        {
          type: 'answer.received',
          actor: ACTOR,
          result: 'fail',
          reason: code,
          digest: sha256Hex(answer.bytes),
          details: {
            answerRef: answer.ref,
            kind: answer.kind,
            ...(sigCode ? { sigCode } : {}),
            ...(refersTo ? { refersTo } : {}),
          },
          at,
        },
      ];
      for (const event of events) await audit.record(event, client);
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
    if (!read.ok) return refuse(answer, read.code, read.reason, read.sigCode, read.checks);
    let message = await findMessageByEd(pool, read.refersTo);
    // The Bank of Russia took the ED but transport has not recorded it `sent` yet: the answer overtook the
    // delivery's commit (usually a moment away: it is waited for), or transport died between the two and
    // the sweeper will finish it. Refusing the answer as unmatched would lose the order's ED201/ED206 for
    // good; it is left unacknowledged instead, and the channel offers it again.
    for (let waited = 0; message?.state === 'delivering' && waited < DEFER_AFTER_MS; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      message = await findMessageByEd(pool, read.refersTo);
    }
    if (message?.state === 'delivering') return { kind: 'deferred', orderId: message.orderId };
    if (message?.state !== 'sent') {
      const { edNo, edDate, edAuthor } = read.refersTo;
      return refuse(
        answer,
        'TRN_ANSWER_UNMATCHED',
        `EDRefID ${edNo} of ${edDate} by ${edAuthor} names no ED sent`,
        undefined,
        read.checks,
        read.refersTo,
      );
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
      // 802-П п. 14.3: the Bank of Russia's signatures checked, and the answer taken, with the state it moves.
      const subject = { actor: ACTOR, orderId: message.orderId, ed: read.identity };
      for (const event of [
        ...signatureCheckedEvents(read.checks, subject),
        answerReceivedEvent(read, message.orderId, answer.ref, receivedAt),
      ]) {
        await audit.record(event, client);
      }
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
    for (const answer of fetched.value) {
      // Nothing after a deferred answer is acknowledged either: the channel's cursor must not pass it.
      if ((await processAnswer(answer)).kind === 'deferred') return false;
    }
    return fetched.value.length >= 20;
  }

  return { processAnswer, poll };
}

/** The answer processor. */
export type AnswerProcessor = ReturnType<typeof createAnswerProcessor>;
