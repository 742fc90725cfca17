import type { EdRefPayload, Result } from '@twincontour/platform';

/** One ED to deliver: its deterministic name, the envelope control made, and its identity. */
export interface OutgoingFile {
  /** Deterministic per ED identity (the АРМ file name; https sends `X-Ed-Ref` from `ed`). */
  name: string;
  /** The `sen:SigEnvelope` (КА by control around the ED with its ЗК), exactly as control made it. */
  bytes: Uint8Array;
  ed: EdRefPayload;
}

/** What goes over the channel for one ED, prepared once and stored before the first attempt. */
export interface PreparedFile extends OutgoingFile {
  /** The bytes the channel gets: the envelope itself (arm-kbr) or the EnvelopedData around it (https). */
  wire: Uint8Array;
  /** Archive kind of `wire`: `envelope` or `enveloped-data`. */
  wireKind: 'envelope' | 'enveloped-data';
}

/** An answer as the channel gave it. */
export interface IncomingAnswer {
  /** The channel's reference: the file name (arm-kbr) or the peer's item id (https). */
  ref: string;
  /** Exactly the bytes received (archived as they are). */
  bytes: Uint8Array;
  /** `enveloped-data`: still to be decrypted (https); `envelope`: the АРМ already decrypted it. */
  kind: 'envelope' | 'enveloped-data';
}

/** How an answer ended: taken (archived and applied, or a duplicate) or refused. */
export type AnswerOutcome = 'processed' | 'rejected';

/**
 * A delivery channel (802-П п. 10; NOTES.md, "Exchange with АРМ КБР-Н"). Delivery is idempotent per
 * ED identity: `deliver` of the same prepared file again has the effect of one delivery (same file name;
 * same request id), so a retry after a crash between delivering and recording never sends twice in
 * effect. Expected failures are values (`TRN_DELIVERY_FAILED`, `TRN_DELIVERY_CONFLICT`).
 */
export interface DeliveryAdapter {
  readonly channel: 'arm-kbr' | 'https' | 'simulator';
  /** Turns the envelope into the bytes the channel gets (encryption for https). */
  prepare(file: OutgoingFile): Promise<PreparedFile>;
  deliver(file: PreparedFile): Promise<Result<{ reference: string }>>;
  /** Answers available now (complete ones only). */
  fetchAnswers(): Promise<Result<IncomingAnswer[]>>;
  /** Called once an answer is archived: it is not offered again. */
  ack(answer: IncomingAnswer, outcome: AnswerOutcome): Promise<void>;
  /** Opens an `enveloped-data` answer (https); identity for the others. */
  open(answer: IncomingAnswer): Promise<Result<Uint8Array>>;
  /** The main channel of incident requests (802-П п. 19.1), where the channel has one (https, simulator). */
  readonly incident?: IncidentChannel;
  close(): Promise<void>;
}

/**
 * The Bank of Russia's technical infrastructure as the main channel of incident requests (802-П п. 19.1):
 * one POST of the signed request over the same mutually authenticated connection as the EDs. A value
 * failure (`INC_CHANNEL_FAILED`) when the peer cannot be reached or does not answer in time; any answer,
 * whatever its status, is returned for the caller to judge.
 */
export interface IncidentChannel {
  send(body: Uint8Array): Promise<Result<{ status: number; body: Uint8Array }>>;
}
