import {
  type Config,
  ConfigError,
  cfg,
  parseConfig,
  type Result,
  SERVICE_CONFIG_PROPERTIES,
} from '@twincontour/platform';

const REDIS_URL = { secret: true, pattern: '^rediss?://' } as const;
const PATH = { minLength: 1 } as const;

/**
 * The transport service's configuration (env, `TWINCONTOUR_*`): one schema, the type derived from it
 * (STYLE.md, env-schema anchor). Secrets (database and Redis URLs) may come as `…_FILE`.
 */
export const TRANSPORT_CONFIG_SCHEMA = cfg.object({
  ...SERVICE_CONFIG_PROPERTIES,
  TWINCONTOUR_HTTP_PORT: cfg.integer({ minimum: 1, maximum: 65535, default: 8083 }),
  /** The control↔transport boundary Redis (queues c2t and t2c). */
  TWINCONTOUR_C2T_REDIS_URL: cfg.string(REDIS_URL),
  /** BullMQ key prefix; the boundary adds its suffix (`<prefix>-c2t`). */
  TWINCONTOUR_QUEUE_PREFIX: cfg.string({ default: 'tc', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$' }),
  /** A development PKI made by `twincontour pki dev-init` (transport key, trust store, dev CA, cbr certificate). */
  TWINCONTOUR_PKI_DIR: cfg.optional(cfg.string(PATH)),
  /** Transport's encrypted private key (PKCS#8 / PKCS#12): TLS client key and decryption of answers. */
  TWINCONTOUR_TRANSPORT_KEY_FILE: cfg.optional(cfg.string(PATH)),
  /** Transport's certificate (PEM or DER): TLS client certificate, recipient of the answers. */
  TWINCONTOUR_TRANSPORT_CERT_FILE: cfg.optional(cfg.string(PATH)),
  /** File holding the passphrase of the transport key. */
  TWINCONTOUR_TRANSPORT_PASSPHRASE_FILE: cfg.optional(cfg.string(PATH)),
  /** Folder with `trust.json` (CA, CRLs, contour pins); default the PKI dir. */
  TWINCONTOUR_TRUST_DIR: cfg.optional(cfg.string(PATH)),
  /** `zk+ka`: ЗК formation + ЗК control + КА control required; `ka`: ЗК formation + КА control. */
  TWINCONTOUR_SIG_MODE: cfg.enum(['zk+ka', 'ka'], { default: 'zk+ka' }),
  /** The delivery channel (802-П п. 10): the АРМ КБР-Н folders, an HTTPS+mTLS peer, or the simulator. */
  TWINCONTOUR_DELIVERY: cfg.enum(['arm-kbr', 'https', 'simulator'], { default: 'simulator' }),
  /** arm-kbr: the АРМ's pickup folder (outgoing envelopes). */
  TWINCONTOUR_ARM_OUT_DIR: cfg.optional(cfg.string(PATH)),
  /** arm-kbr: the АРМ's incoming folder (answers from the Bank of Russia). */
  TWINCONTOUR_ARM_IN_DIR: cfg.optional(cfg.string(PATH)),
  /** arm-kbr: how often the incoming folder is looked at. */
  TWINCONTOUR_ARM_POLL_MS: cfg.integer({ minimum: 20, maximum: 600_000, default: 1_000 }),
  /** https/simulator: the peer's base URL (simulator default https://127.0.0.1:8444). */
  TWINCONTOUR_PEER_URL: cfg.optional(cfg.string({ pattern: '^https://' })),
  /** https/simulator: CA the peer's TLS certificate must chain to (simulator default: the dev CA). */
  TWINCONTOUR_PEER_CA_FILE: cfg.optional(cfg.string(PATH)),
  /** https/simulator: the recipient certificate envelopes are encrypted to (simulator default: dev cbr). */
  TWINCONTOUR_PEER_CERT_FILE: cfg.optional(cfg.string(PATH)),
  /** https/simulator: TLS server name checked against the peer's certificate (simulator default `cbr-simulator`). */
  TWINCONTOUR_PEER_SERVERNAME: cfg.optional(cfg.string({ minLength: 1, maxLength: 253 })),
  /** https/simulator: time one request to the peer may take. */
  TWINCONTOUR_PEER_TIMEOUT_MS: cfg.integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  /** https/simulator: how often the peer is asked for answers. */
  TWINCONTOUR_ANSWER_POLL_MS: cfg.integer({ minimum: 20, maximum: 600_000, default: 2_000 }),
  /** ED201 CtrlCodes meaning "accepted" (comma-separated, 4 digits each); any other is a refusal. */
  TWINCONTOUR_CBR_ACCEPT_CODES: cfg.string({ default: '0000', pattern: '^[0-9]{4}(,[0-9]{4})*$' }),
  /** c2t jobs processed at once. */
  TWINCONTOUR_C2T_CONCURRENCY: cfg.integer({ minimum: 1, maximum: 64, default: 4 }),
  /** 802-П п. 11: years each archived message is kept (deletion refused before); never under five. */
  TWINCONTOUR_ARCHIVE_RETAIN_YEARS: cfg.integer({ minimum: 5, maximum: 100, default: 5 }),
  /** How often the transport key signs the audit chain's head while it moves (checkpoint; issue 6). */
  TWINCONTOUR_AUDIT_CHECKPOINT_MS: cfg.integer({ minimum: 100, maximum: 86_400_000, default: 60_000 }),
  /** 802-П п. 19: the participant as named in incident requests (the development bank by default). */
  TWINCONTOUR_PARTICIPANT_NAME: cfg.string({ minLength: 1, maxLength: 300, default: 'TwinContour development bank' }),
  /** The participant's BIC (9 digits), written in incident requests. */
  TWINCONTOUR_PARTICIPANT_BIC: cfg.string({ pattern: '^[0-9]{9}$', default: '044525545' }),
  /** The participant's УИС (10 digits, the EDAuthor), written in incident requests. */
  TWINCONTOUR_PARTICIPANT_UIC: cfg.string({ pattern: '^[0-9]{10}$', default: '4525545000' }),
  /**
   * Keys of authorised persons for signing incident requests on the server: a JSON file mapping person id
   * to `{ "keyFile", "passphraseFile" }`, or a folder with `<person id>/key.pem` and `<person id>/key.pass`.
   * Without it, requests come signed by the person (base64 CMS in the API).
   */
  TWINCONTOUR_AUTHORISED_PERSON_KEYS: cfg.optional(cfg.string(PATH)),
  /**
   * Development only: a PKI made by `pki dev-init`; its `authorised-person` identity is registered at start
   * as person `dev-authorised-person` and its key signs that person's requests.
   */
  TWINCONTOUR_DEV_AUTHORISED_PERSON: cfg.optional(cfg.string(PATH)),
  /** How often requests the main channel did not take are sent again (802-П п. 19.1). */
  TWINCONTOUR_INCIDENT_RETRY_MS: cfg.integer({ minimum: 50, maximum: 3_600_000, default: 30_000 }),
});

/** The validated, frozen configuration. */
export type TransportConfig = Config<typeof TRANSPORT_CONFIG_SCHEMA>;

/** Problems across keys the schema cannot say (which key source and which channel settings are complete). */
function crossKeyProblems(config: TransportConfig): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const files = [
    config.TWINCONTOUR_TRANSPORT_KEY_FILE,
    config.TWINCONTOUR_TRANSPORT_CERT_FILE,
    config.TWINCONTOUR_TRANSPORT_PASSPHRASE_FILE,
  ];
  const given = files.filter((f) => f !== undefined).length;
  const pki = config.TWINCONTOUR_PKI_DIR;
  if (given !== 0 && given !== 3) {
    problems.push({
      path: 'TWINCONTOUR_TRANSPORT_KEY_FILE',
      message: 'TWINCONTOUR_TRANSPORT_KEY_FILE, _CERT_FILE and _PASSPHRASE_FILE go together',
    });
  }
  if (pki === undefined && given === 0) {
    problems.push({
      path: 'TWINCONTOUR_PKI_DIR',
      message: 'give TWINCONTOUR_PKI_DIR or the TWINCONTOUR_TRANSPORT_KEY_FILE/_CERT_FILE/_PASSPHRASE_FILE set',
    });
  }
  if (pki !== undefined && given !== 0) {
    problems.push({
      path: 'TWINCONTOUR_PKI_DIR',
      message: 'give TWINCONTOUR_PKI_DIR or the transport key files, not both',
    });
  }
  if (config.TWINCONTOUR_TRUST_DIR === undefined && pki === undefined) {
    problems.push({
      path: 'TWINCONTOUR_TRUST_DIR',
      message: 'TWINCONTOUR_TRUST_DIR is required without TWINCONTOUR_PKI_DIR',
    });
  }
  const delivery = config.TWINCONTOUR_DELIVERY;
  if (delivery === 'arm-kbr') {
    for (const key of ['TWINCONTOUR_ARM_OUT_DIR', 'TWINCONTOUR_ARM_IN_DIR'] as const) {
      if (config[key] === undefined) problems.push({ path: key, message: `${key} is required with delivery arm-kbr` });
    }
    if (
      config.TWINCONTOUR_ARM_OUT_DIR !== undefined &&
      config.TWINCONTOUR_ARM_OUT_DIR === config.TWINCONTOUR_ARM_IN_DIR
    ) {
      problems.push({ path: 'TWINCONTOUR_ARM_IN_DIR', message: 'the pickup and incoming folders must differ' });
    }
  }
  if (delivery === 'https') {
    for (const key of ['TWINCONTOUR_PEER_URL', 'TWINCONTOUR_PEER_CA_FILE', 'TWINCONTOUR_PEER_CERT_FILE'] as const) {
      if (config[key] === undefined) problems.push({ path: key, message: `${key} is required with delivery https` });
    }
  }
  if (delivery === 'simulator' && pki === undefined) {
    for (const key of ['TWINCONTOUR_PEER_CA_FILE', 'TWINCONTOUR_PEER_CERT_FILE'] as const) {
      if (config[key] === undefined) {
        problems.push({ path: key, message: `${key} is required with delivery simulator without TWINCONTOUR_PKI_DIR` });
      }
    }
  }
  return problems;
}

/**
 * Parses the environment into the configuration, reporting every problem at once: the schema's
 * (`CFG_*`) and the cross-key rules (`CFG_CONSTRAINT`). Never throws.
 */
export function parseTransportConfig(env: Readonly<Record<string, string | undefined>>): Result<TransportConfig> {
  const parsed = parseConfig(TRANSPORT_CONFIG_SCHEMA, env);
  if (!parsed.ok) return parsed;
  const problems = crossKeyProblems(parsed.value);
  if (problems.length > 0) {
    return {
      ok: false as const,
      code: 'CFG_INVALID',
      message: 'invalid configuration',
      errors: problems.map((p) => ({ code: 'CFG_CONSTRAINT', path: p.path, message: p.message })),
    };
  }
  return parsed;
}

/** {@link parseTransportConfig} for `main.ts`: the configuration, or a thrown `ConfigError` listing every problem. */
export function loadTransportConfig(env: Readonly<Record<string, string | undefined>>): TransportConfig {
  const parsed = parseTransportConfig(env);
  if (!parsed.ok) throw new ConfigError(parsed.errors ?? []);
  return parsed.value;
}

/** The accepted ED201 CtrlCodes of TWINCONTOUR_CBR_ACCEPT_CODES. */
export function acceptCodes(config: Pick<TransportConfig, 'TWINCONTOUR_CBR_ACCEPT_CODES'>): ReadonlySet<string> {
  return new Set(config.TWINCONTOUR_CBR_ACCEPT_CODES.split(','));
}
