import {
  type ArchiveTrust,
  appendArchived,
  certificatesInRecord,
  chainWithIssuers,
  createFactsCache,
  crlsForChain,
  ensureArchivePartitions,
  storeCrls,
  trustCertificates,
} from '@twincontour/audit';
import { type CrlSnapshot, loadTrustConfigFromDir } from '@twincontour/crypto';
import { createLoop, fail, type Loop, ok, type Pool, type Queryable, type Result } from '@twincontour/platform';
import type { Logger } from 'pino';
import type { ArchiveEntry } from './message-repository.js';

/** How often the archive's partitions are ensured and the CRLs in use stored (partitions need it monthly). */
export const ARCHIVE_MAINTENANCE_MS = 60 * 60_000;

/**
 * Transport's side of the five-year archive (802-П п. 11; services/transport/README.md, "Archive"). The
 * SQL and the evidence rules are `@twincontour/audit`'s archive module, shared with the CLI.
 */
export interface TransportArchive {
  /**
   * Appends a message exactly as sent or received, in the caller's transaction, with what verifies it:
   * the certificates its КА and ЗК (or, for an incident request or answer, its detached CMS) carry, any
   * `signerCertificates` given, plus the CAs (of the trust configuration) that issued them, and the CRLs
   * of those CAs the trust store is using. Returns the record's id.
   */
  append(db: Queryable, entry: TransportArchiveEntry): Promise<string>;
  /** Creates this month's and next month's partitions when missing and stores the CRLs in use now. */
  maintain(now?: Date): Promise<{ partitions: string[]; newCrls: number }>;
  /** Runs {@link maintain} now and then hourly. */
  start(): void;
  stop(): Promise<void>;
  /** Whom re-verification trusts: the anchors and pins of the trust configuration. */
  readonly trust: ArchiveTrust;
}

/** An archive entry and the signers' certificates its bytes may not carry. */
export type TransportArchiveEntry = ArchiveEntry & {
  /**
   * Signers' certificates from elsewhere: an authorised person's registered certificate, since a request
   * signed with the person's own tool need not carry it (802-П п. 19.3).
   */
  signerCertificates?: readonly Uint8Array[] | undefined;
};

/** What {@link createTransportArchive} needs. */
export interface TransportArchiveOptions {
  pool: Pool;
  /** The service's trust store: the CRLs it is using are archived with each message. */
  crls: { crlSnapshots(): CrlSnapshot[] };
  trust: ArchiveTrust;
  /** TWINCONTOUR_ARCHIVE_RETAIN_YEARS (at least five). */
  retainYears: number;
  logger: Logger;
}

/** The anchors and pins of a trust folder (`trust.json`), for archive re-verification. `TRN_KEYS_UNAVAILABLE` when unreadable. */
export function loadArchiveTrust(dir: string): Result<ArchiveTrust> {
  const config = loadTrustConfigFromDir(dir);
  if (!config.ok) return fail('TRN_KEYS_UNAVAILABLE', `${config.code}: ${config.message}`);
  const { anchors, intermediates, pins, pinnedOnly } = config.value;
  return ok({
    anchors,
    ...(intermediates ? { intermediates } : {}),
    ...(pins ? { pins } : {}),
    ...(pinnedOnly ? { pinnedOnly } : {}),
  });
}

/** Transport's archive writer and its hourly maintenance. */
export function createTransportArchive(options: TransportArchiveOptions): TransportArchive {
  const { pool, logger } = options;
  const cas = trustCertificates(options.trust);
  const facts = createFactsCache();

  async function maintain(now = new Date()) {
    const partitions = await ensureArchivePartitions(pool, now);
    if (partitions.length > 0) logger.info({ partitions }, 'archive partitions created');
    // A CRL published while no message flows is still the proof the messages before it need.
    const newCrls = await storeCrls(pool, options.crls.crlSnapshots());
    return { partitions, newCrls };
  }

  const loop: Loop = createLoop(
    'archive-maintenance',
    async () => {
      await maintain();
      return false;
    },
    ARCHIVE_MAINTENANCE_MS,
    logger,
  );

  return {
    trust: options.trust,
    async append(db, { signerCertificates, ...entry }) {
      // An envelope and an incident body carry signatures; the EnvelopedData around an envelope is kept as
      // the wire bytes alone.
      const signers = [...certificatesInRecord(entry.kind, entry.bytes), ...(signerCertificates ?? [])];
      const certificates = chainWithIssuers(signers, cas, facts);
      const crls = crlsForChain(certificates, options.crls.crlSnapshots(), facts);
      return appendArchived(db, { ...entry, retainYears: options.retainYears, certificates, crls });
    },
    maintain,
    start: () => loop.start(),
    stop: () => loop.stop(),
  };
}
