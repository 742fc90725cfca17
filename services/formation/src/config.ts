import type { SignerSource } from '@twincontour/crypto';
import {
  type Config,
  ConfigError,
  cfg,
  type Env,
  type FieldError,
  parseConfig,
  type Result,
  SERVICE_CONFIG_PROPERTIES,
} from '@twincontour/platform';

/**
 * The formation service's configuration: one schema, the type derived from it (STYLE.md,
 * env-schema anchor). Every variable is documented in README.md.
 */
export const FORMATION_CONFIG_SCHEMA = cfg.object({
  ...SERVICE_CONFIG_PROPERTIES,
  /** formation listens on 8081 by default (control 8082). */
  TWINCONTOUR_HTTP_PORT: cfg.integer({ minimum: 1, maximum: 65535, default: 8081 }),
  /** The formation↔control boundary Redis (queues f2c and c2f); may carry a password. */
  TWINCONTOUR_F2C_REDIS_URL: cfg.string({ secret: true, pattern: '^rediss?://' }),
  /** Queue key prefix; the f2c boundary uses `<prefix>-f2c`. */
  TWINCONTOUR_QUEUE_PREFIX: cfg.string({ default: 'tc', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,60}$' }),
  /** A development PKI made by `pki dev-init` (key, certificate, trust.json). */
  TWINCONTOUR_PKI_DIR: cfg.optional(cfg.string({ minLength: 1 })),
  /** Formation's encrypted PKCS#8 / PKCS#12 key file (instead of the PKI dir). */
  TWINCONTOUR_FORMATION_KEY_FILE: cfg.optional(cfg.string({ minLength: 1 })),
  /** Formation's certificate (PEM or DER). */
  TWINCONTOUR_FORMATION_CERT_FILE: cfg.optional(cfg.string({ minLength: 1 })),
  /** File holding the key's passphrase (read by the crypto package, used and dropped). */
  TWINCONTOUR_FORMATION_PASSPHRASE_FILE: cfg.optional(cfg.string({ minLength: 1 })),
  /** Folder with trust.json (CA, CRL sources, contour pins); default the PKI dir. */
  TWINCONTOUR_TRUST_DIR: cfg.optional(cfg.string({ minLength: 1 })),
  /** The bank's УИС written as EDAuthor, 10 digits. */
  TWINCONTOUR_ED_AUTHOR: cfg.string({ default: '4525545000', pattern: '^[0-9]{10}$' }),
  /** SigId (2 digits) written on formation's ЗК, marking which contour made it (NOTES.md). */
  TWINCONTOUR_SIG_ID_FORMATION: cfg.optional(cfg.string({ pattern: '^[0-9]{2}$' })),
  /** Pause of the outbox relay between runs when idle. */
  TWINCONTOUR_OUTBOX_INTERVAL_MS: cfg.integer({ minimum: 10, maximum: 60_000, default: 500 }),
  /** An f2c hand-over unacknowledged this long is looked at again (re-enqueued if Redis lost it). */
  TWINCONTOUR_OUTBOX_REDELIVER_MS: cfg.integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  /** Status messages (c2f) processed at once. */
  TWINCONTOUR_C2F_CONCURRENCY: cfg.integer({ minimum: 1, maximum: 100, default: 4 }),
  /**
   * Key sealing the webhook secrets at rest (AES-256-GCM): base64 (or base64url) of 32 random bytes,
   * e.g. `openssl rand -base64 32`. Required; losing it makes every stored secret unreadable.
   */
  TWINCONTOUR_WEBHOOK_KEY: cfg.string({ secret: true, pattern: '^[A-Za-z0-9+/_-]{43}=?$' }),
  /** Pause of the webhook dispatcher between runs when idle. */
  TWINCONTOUR_WEBHOOK_INTERVAL_MS: cfg.integer({ minimum: 10, maximum: 60_000, default: 500 }),
  /** How long one POST to a receiver may take before it counts as failed. */
  TWINCONTOUR_WEBHOOK_TIMEOUT_MS: cfg.integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  /** Delay after the first failed attempt (doubled after each further failure, with jitter). */
  TWINCONTOUR_WEBHOOK_BACKOFF_BASE_MS: cfg.integer({ minimum: 1, maximum: 3_600_000, default: 1_000 }),
  /** Largest delay between attempts. */
  TWINCONTOUR_WEBHOOK_BACKOFF_MAX_MS: cfg.integer({ minimum: 1, maximum: 86_400_000, default: 600_000 }),
  /** Deliveries posted at once by one process. */
  TWINCONTOUR_WEBHOOK_CONCURRENCY: cfg.integer({ minimum: 1, maximum: 100, default: 8 }),
  /** How often the formation key signs the audit chain's head while it moves (checkpoint; issue 6). */
  TWINCONTOUR_AUDIT_CHECKPOINT_MS: cfg.integer({ minimum: 100, maximum: 86_400_000, default: 60_000 }),
  /**
   * Backpressure: orders accepted but not yet at the Bank of Russia (stages accepted … signed-by-control)
   * from which POST /v1/payment-orders answers 503 FRM_BACKPRESSURE with Retry-After. It grows when control,
   * transport or the Bank of Russia channel is down; 10 000 is about twenty minutes of a large bank's
   * average volume, so a short outage never refuses an order and a long one cannot pile up without bound.
   */
  TWINCONTOUR_BACKLOG_LIMIT: cfg.integer({ minimum: 1, maximum: 10_000_000, default: 10_000 }),
  /** Retry-After (seconds) of a FRM_BACKPRESSURE answer. */
  TWINCONTOUR_BACKLOG_RETRY_AFTER_S: cfg.integer({ minimum: 1, maximum: 3600, default: 30 }),
});

/** The validated, frozen configuration of the formation service. */
export type FormationConfig = Config<typeof FORMATION_CONFIG_SCHEMA>;

const KEY_FILE_VARS = [
  'TWINCONTOUR_FORMATION_KEY_FILE',
  'TWINCONTOUR_FORMATION_CERT_FILE',
  'TWINCONTOUR_FORMATION_PASSPHRASE_FILE',
] as const;

/**
 * Where the key and the trust store come from. Either the PKI dir or all three key-file variables
 * (802-П прил. 1.1: formation signs with its own key only); the trust dir defaults to the PKI dir.
 */
export function keySettings(config: FormationConfig): Result<{ signer: SignerSource; trustDir: string }> {
  const errors: FieldError[] = [];
  const given = KEY_FILE_VARS.filter((name) => config[name] !== undefined);
  if (config.TWINCONTOUR_PKI_DIR === undefined && given.length === 0) {
    errors.push({
      code: 'CFG_MISSING',
      path: 'TWINCONTOUR_PKI_DIR',
      message: 'is required (or TWINCONTOUR_FORMATION_KEY_FILE, _CERT_FILE and _PASSPHRASE_FILE)',
    });
  }
  if (given.length > 0 && given.length < KEY_FILE_VARS.length) {
    for (const name of KEY_FILE_VARS.filter((n) => config[n] === undefined)) {
      errors.push({ code: 'CFG_MISSING', path: name, message: `is required with ${given.join(', ')}` });
    }
  }
  const trustDir = config.TWINCONTOUR_TRUST_DIR ?? config.TWINCONTOUR_PKI_DIR;
  if (trustDir === undefined) {
    errors.push({ code: 'CFG_MISSING', path: 'TWINCONTOUR_TRUST_DIR', message: 'is required without a PKI dir' });
  }
  if (errors.length > 0 || trustDir === undefined) {
    return { ok: false, code: 'CFG_INVALID', message: 'key settings are incomplete', errors };
  }
  const signer: SignerSource =
    given.length === KEY_FILE_VARS.length
      ? {
          keyFile: config.TWINCONTOUR_FORMATION_KEY_FILE ?? '',
          certificateFile: config.TWINCONTOUR_FORMATION_CERT_FILE ?? '',
          passphrase: { file: config.TWINCONTOUR_FORMATION_PASSPHRASE_FILE ?? '' },
        }
      : { pkiDir: config.TWINCONTOUR_PKI_DIR ?? '' };
  return { ok: true, value: { signer, trustDir } };
}

/** The webhook sealing key (32 bytes) of a validated configuration. */
export function webhookKey(config: FormationConfig): Buffer {
  return Buffer.from(config.TWINCONTOUR_WEBHOOK_KEY, 'base64');
}

function webhookSettingErrors(config: FormationConfig): FieldError[] {
  if (config.TWINCONTOUR_WEBHOOK_BACKOFF_BASE_MS <= config.TWINCONTOUR_WEBHOOK_BACKOFF_MAX_MS) return [];
  return [
    {
      code: 'CFG_CONSTRAINT',
      path: 'TWINCONTOUR_WEBHOOK_BACKOFF_BASE_MS',
      message: 'must not exceed TWINCONTOUR_WEBHOOK_BACKOFF_MAX_MS',
    },
  ];
}

/**
 * Reads the configuration from `env`: the schema, then the key settings; throws one `ConfigError`
 * (`CFG_INVALID`) listing every problem, so the service never starts half-configured.
 */
export function loadFormationConfig(env: Env): FormationConfig {
  const parsed = parseConfig(FORMATION_CONFIG_SCHEMA, env);
  if (!parsed.ok) throw new ConfigError(parsed.errors ?? []);
  const keys = keySettings(parsed.value);
  const errors = [...(keys.ok ? [] : (keys.errors ?? [])), ...webhookSettingErrors(parsed.value)];
  if (errors.length > 0) throw new ConfigError(errors);
  return parsed.value;
}
