import {
  type Config,
  ConfigError,
  cfg,
  parseConfig,
  type Result,
  SERVICE_CONFIG_PROPERTIES,
} from '@twincontour/platform';

const REDIS_URL = { secret: true, pattern: '^rediss?://' } as const;
const HTTP_URL = '^https?://';

/**
 * The control service's configuration (env, `TWINCONTOUR_*`): one schema, the type derived from it
 * (STYLE.md, env-schema anchor). Secrets (database URL, Redis URLs with passwords, the webhook URL,
 * which may carry a token) may come as `…_FILE`.
 */
export const CONTROL_CONFIG_SCHEMA = cfg.object({
  ...SERVICE_CONFIG_PROPERTIES,
  TWINCONTOUR_HTTP_PORT: cfg.integer({ minimum: 1, maximum: 65535, default: 8082 }),
  /** The formation↔control boundary Redis (queues f2c and c2f). */
  TWINCONTOUR_F2C_REDIS_URL: cfg.string(REDIS_URL),
  /** The control↔transport boundary Redis (queues c2t and t2c). */
  TWINCONTOUR_C2T_REDIS_URL: cfg.string(REDIS_URL),
  /** BullMQ key prefix; each boundary adds its own suffix (`<prefix>-f2c`, `<prefix>-c2t`). */
  TWINCONTOUR_QUEUE_PREFIX: cfg.string({ default: 'tc', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$' }),
  /** A development PKI made by `twincontour pki dev-init` (the control key, and the trust store by default). */
  TWINCONTOUR_PKI_DIR: cfg.optional(cfg.string({ minLength: 1 })),
  /** The control contour's encrypted private key (PKCS#8 / PKCS#12), instead of a development PKI. */
  TWINCONTOUR_CONTROL_KEY_FILE: cfg.optional(cfg.string({ minLength: 1 })),
  /** The control contour's certificate (PEM or DER). */
  TWINCONTOUR_CONTROL_CERT_FILE: cfg.optional(cfg.string({ minLength: 1 })),
  /** File holding the passphrase of the control key. */
  TWINCONTOUR_CONTROL_PASSPHRASE_FILE: cfg.optional(cfg.string({ minLength: 1 })),
  /** Folder with `trust.json` (CA, CRLs, contour pins); default the PKI dir. */
  TWINCONTOUR_TRUST_DIR: cfg.optional(cfg.string({ minLength: 1 })),
  /** `zk+ka`: control adds its own ЗК and the КА; `ka`: only the КА (NOTES.md: the protection variant). */
  TWINCONTOUR_SIG_MODE: cfg.enum(['zk+ka', 'ka'], { default: 'zk+ka' }),
  /** SigId written on control's ЗК (two digits, "type / purpose of the ЗК"). */
  TWINCONTOUR_SIG_ID_CONTROL: cfg.optional(cfg.string({ pattern: '^[0-9]{2}$' })),
  /** How long an ED waits for its primary document before CTL_SOURCE_MISSING. */
  TWINCONTOUR_SOURCE_WAIT_MS: cfg.integer({ minimum: 0, maximum: 7 * 86_400_000, default: 60_000 }),
  /** How often a waiting ED is looked at again (the primary document posted to control wakes it at once). */
  TWINCONTOUR_SOURCE_RECHECK_MS: cfg.integer({ minimum: 50, maximum: 600_000, default: 5_000 }),
  /** Back-office URL control GETs a missing primary document from (`?payerAccount=&docNo=&docDate=`). */
  TWINCONTOUR_SOURCE_PULL_URL: cfg.optional(cfg.string({ pattern: HTTP_URL, secret: true })),
  /** Time one pull request may take. */
  TWINCONTOUR_SOURCE_PULL_TIMEOUT_MS: cfg.integer({ minimum: 100, maximum: 60_000, default: 5_000 }),
  /** A payment with the same payer, payee, sum, document number and date within this window is a duplicate. */
  TWINCONTOUR_DUPLICATE_WINDOW_HOURS: cfg.integer({ minimum: 1, maximum: 24 * 366, default: 72 }),
  /** Where security alerts (every refusal) are POSTed; kept in PostgreSQL and retried until delivered. */
  TWINCONTOUR_SECURITY_WEBHOOK_URL: cfg.optional(cfg.string({ pattern: HTTP_URL, secret: true })),
  /** First retry delay of a failed alert delivery; doubles per attempt up to the maximum. */
  TWINCONTOUR_ALERT_RETRY_BASE_MS: cfg.integer({ minimum: 10, maximum: 600_000, default: 2_000 }),
  /** Longest delay between two delivery attempts of one alert. */
  TWINCONTOUR_ALERT_RETRY_MAX_MS: cfg.integer({ minimum: 10, maximum: 86_400_000, default: 300_000 }),
  /** f2c jobs processed at once. */
  TWINCONTOUR_F2C_CONCURRENCY: cfg.integer({ minimum: 1, maximum: 64, default: 4 }),
  /** How often the control key signs the audit chain's head while it moves (checkpoint; issue 6). */
  TWINCONTOUR_AUDIT_CHECKPOINT_MS: cfg.integer({ minimum: 100, maximum: 86_400_000, default: 60_000 }),
});

/** The validated, frozen configuration. */
export type ControlConfig = Config<typeof CONTROL_CONFIG_SCHEMA>;

/** A problem across keys the schema cannot say (which key source is complete). */
function keySourceProblems(config: ControlConfig): string[] {
  const files = [
    config.TWINCONTOUR_CONTROL_KEY_FILE,
    config.TWINCONTOUR_CONTROL_CERT_FILE,
    config.TWINCONTOUR_CONTROL_PASSPHRASE_FILE,
  ];
  const given = files.filter((f) => f !== undefined).length;
  const problems: string[] = [];
  if (given !== 0 && given !== 3) {
    problems.push('TWINCONTOUR_CONTROL_KEY_FILE, _CERT_FILE and _PASSPHRASE_FILE go together');
  }
  if (config.TWINCONTOUR_PKI_DIR === undefined && given === 0) {
    problems.push('give TWINCONTOUR_PKI_DIR or the TWINCONTOUR_CONTROL_KEY_FILE/_CERT_FILE/_PASSPHRASE_FILE set');
  }
  if (config.TWINCONTOUR_PKI_DIR !== undefined && given !== 0) {
    problems.push('give TWINCONTOUR_PKI_DIR or the control key files, not both');
  }
  if (config.TWINCONTOUR_TRUST_DIR === undefined && config.TWINCONTOUR_PKI_DIR === undefined) {
    problems.push('TWINCONTOUR_TRUST_DIR is required without TWINCONTOUR_PKI_DIR');
  }
  return problems;
}

/**
 * Parses the environment into the configuration, reporting every problem at once: the schema's
 * (`CFG_*`) and the key-source rules (`CFG_CONSTRAINT`). Never throws.
 */
export function parseControlConfig(env: Readonly<Record<string, string | undefined>>): Result<ControlConfig> {
  const parsed = parseConfig(CONTROL_CONFIG_SCHEMA, env);
  if (!parsed.ok) return parsed;
  const problems = keySourceProblems(parsed.value);
  if (problems.length > 0) {
    return {
      ok: false as const,
      code: 'CFG_INVALID',
      message: 'invalid configuration',
      errors: problems.map((message) => ({ code: 'CFG_CONSTRAINT', path: 'TWINCONTOUR_PKI_DIR', message })),
    };
  }
  return parsed;
}

/** {@link parseControlConfig} for `main.ts`: the configuration, or a thrown `ConfigError` listing every problem. */
export function loadControlConfig(env: Readonly<Record<string, string | undefined>>): ControlConfig {
  const parsed = parseControlConfig(env);
  if (!parsed.ok) throw new ConfigError(parsed.errors ?? []);
  return parsed.value;
}
