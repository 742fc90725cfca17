import {
  type Config,
  ConfigError,
  cfg,
  parseConfig,
  type Result,
  SERVICE_CONFIG_PROPERTIES,
} from '@twincontour/platform';

const PATH = { minLength: 1 } as const;

/**
 * The Bank of Russia simulator's configuration (env, `TWINCONTOUR_*`): one schema, the type derived from
 * it (STYLE.md, env-schema anchor). It is a peer for the demo and the end-to-end tests, never a part of
 * the gateway: its own key is the development PKI's `cbr` identity, and the participant's registered
 * certificates are the formation, control and transport certificates of the same trust store.
 */
export const SIMULATOR_CONFIG_SCHEMA = cfg.object({
  ...SERVICE_CONFIG_PROPERTIES,
  /** The ops/test API (plain HTTP, API keys of role `ops`, contour `cbr`). */
  TWINCONTOUR_HTTP_PORT: cfg.integer({ minimum: 1, maximum: 65535, default: 8084 }),
  /** `https`: mTLS intake on TWINCONTOUR_SIM_PORT; `folder`: the АРМ КБР-Н folders (NOTES.md, 802-П п. 10). */
  TWINCONTOUR_SIM_MODE: cfg.enum(['https', 'folder'], { default: 'https' }),
  /** Address of the mTLS intake. */
  TWINCONTOUR_SIM_HOST: cfg.string({ default: '0.0.0.0' }),
  /** Port of the mTLS intake (POST /v1/exchange, GET /v1/exchange/answers). */
  TWINCONTOUR_SIM_PORT: cfg.integer({ minimum: 0, maximum: 65535, default: 8444 }),
  /** Folder where every received envelope is written as well (one file each; the demo prints the path). */
  TWINCONTOUR_SIM_STORE_DIR: cfg.string(PATH),
  /** Delay between a positive ED201 and the ED206 (debit confirmation) of the same ED. */
  TWINCONTOUR_SIM_ED206_DELAY_MS: cfg.integer({ minimum: 0, maximum: 86_400_000, default: 1_000 }),
  /** УИС the simulator writes as EDAuthor of its answers (10 digits). */
  TWINCONTOUR_SIM_ED_AUTHOR: cfg.string({ pattern: '^[0-9]{10}$', default: '4583001999' }),
  /** Name of the one participant this simulator serves (answers are queued per participant). */
  TWINCONTOUR_SIM_PARTICIPANT: cfg.string({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', default: 'participant' }),
  /** Which signatures the participant sends: `zk+ka` ЗК formation + ЗК control + КА control; `ka` ЗК formation + КА. */
  TWINCONTOUR_SIG_MODE: cfg.enum(['zk+ka', 'ka'], { default: 'zk+ka' }),
  /** A development PKI made by `twincontour pki dev-init` (the cbr key; the trust store; the transport certificate). */
  TWINCONTOUR_PKI_DIR: cfg.optional(cfg.string(PATH)),
  /** The simulator's (cbr) encrypted private key, instead of a development PKI. */
  TWINCONTOUR_CBR_KEY_FILE: cfg.optional(cfg.string(PATH)),
  /** The simulator's (cbr) certificate (PEM or DER): TLS server certificate, recipient of the envelopes. */
  TWINCONTOUR_CBR_CERT_FILE: cfg.optional(cfg.string(PATH)),
  /** File holding the passphrase of the cbr key. */
  TWINCONTOUR_CBR_PASSPHRASE_FILE: cfg.optional(cfg.string(PATH)),
  /** Folder with `trust.json` (CA, CRLs, contour pins); default the PKI dir. */
  TWINCONTOUR_TRUST_DIR: cfg.optional(cfg.string(PATH)),
  /** The participant's registered transport certificate (TLS client, recipient of answers); default the PKI's. */
  TWINCONTOUR_SIM_PARTICIPANT_CERT_FILE: cfg.optional(cfg.string(PATH)),
  /** CA certificate(s) the TLS client certificate must chain to; default the CA of the trust dir's `trust.json`. */
  TWINCONTOUR_SIM_CLIENT_CA_FILE: cfg.optional(cfg.string(PATH)),
  /** folder mode: the АРМ's pickup folder the participant writes to (the simulator takes and deletes files). */
  TWINCONTOUR_ARM_OUT_DIR: cfg.optional(cfg.string(PATH)),
  /** folder mode: the АРМ's incoming folder the simulator writes answers to (atomically). */
  TWINCONTOUR_ARM_IN_DIR: cfg.optional(cfg.string(PATH)),
  /** folder mode: how often the pickup folder is looked at; a file is taken once it is unchanged over one poll. */
  TWINCONTOUR_ARM_POLL_MS: cfg.integer({ minimum: 20, maximum: 600_000, default: 500 }),
  /** How often due answers (ED206 after the delay) are published and folder answers written. */
  TWINCONTOUR_SIM_PUBLISH_MS: cfg.integer({ minimum: 20, maximum: 60_000, default: 200 }),
});

/** The validated, frozen configuration. */
export type SimulatorConfig = Config<typeof SIMULATOR_CONFIG_SCHEMA>;

/** Problems across keys the schema cannot say (which key source is complete; folder mode's folders). */
function crossKeyProblems(config: SimulatorConfig): { path: string; message: string }[] {
  const files = [
    config.TWINCONTOUR_CBR_KEY_FILE,
    config.TWINCONTOUR_CBR_CERT_FILE,
    config.TWINCONTOUR_CBR_PASSPHRASE_FILE,
  ];
  const given = files.filter((f) => f !== undefined).length;
  const problems: { path: string; message: string }[] = [];
  const keys = (message: string) => problems.push({ path: 'TWINCONTOUR_PKI_DIR', message });
  if (given !== 0 && given !== 3) keys('TWINCONTOUR_CBR_KEY_FILE, _CERT_FILE and _PASSPHRASE_FILE go together');
  if (config.TWINCONTOUR_PKI_DIR === undefined && given === 0) {
    keys('give TWINCONTOUR_PKI_DIR or the TWINCONTOUR_CBR_KEY_FILE/_CERT_FILE/_PASSPHRASE_FILE set');
  }
  if (config.TWINCONTOUR_PKI_DIR !== undefined && given !== 0)
    keys('give TWINCONTOUR_PKI_DIR or the cbr key files, not both');
  if (config.TWINCONTOUR_PKI_DIR === undefined) {
    if (config.TWINCONTOUR_TRUST_DIR === undefined)
      keys('TWINCONTOUR_TRUST_DIR is required without TWINCONTOUR_PKI_DIR');
    if (config.TWINCONTOUR_SIM_PARTICIPANT_CERT_FILE === undefined) {
      problems.push({
        path: 'TWINCONTOUR_SIM_PARTICIPANT_CERT_FILE',
        message: 'the participant transport certificate is required without TWINCONTOUR_PKI_DIR',
      });
    }
  }
  if (config.TWINCONTOUR_SIM_MODE === 'folder') {
    for (const key of ['TWINCONTOUR_ARM_OUT_DIR', 'TWINCONTOUR_ARM_IN_DIR'] as const) {
      if (config[key] === undefined) problems.push({ path: key, message: `${key} is required in folder mode` });
    }
    if (
      config.TWINCONTOUR_ARM_OUT_DIR !== undefined &&
      config.TWINCONTOUR_ARM_OUT_DIR === config.TWINCONTOUR_ARM_IN_DIR
    ) {
      problems.push({ path: 'TWINCONTOUR_ARM_IN_DIR', message: 'the pickup and incoming folders must differ' });
    }
  }
  return problems;
}

/**
 * Parses the environment into the configuration, reporting every problem at once: the schema's
 * (`CFG_*`) and the cross-key rules (`CFG_CONSTRAINT`). Never throws.
 */
export function parseSimulatorConfig(env: Readonly<Record<string, string | undefined>>): Result<SimulatorConfig> {
  const parsed = parseConfig(SIMULATOR_CONFIG_SCHEMA, env);
  if (!parsed.ok) return parsed;
  const problems = crossKeyProblems(parsed.value);
  if (problems.length > 0) {
    return {
      ok: false as const,
      code: 'CFG_INVALID',
      message: 'invalid configuration',
      errors: problems.map((p) => ({ code: 'CFG_CONSTRAINT', ...p })),
    };
  }
  return parsed;
}

/** {@link parseSimulatorConfig} for `main.ts`: the configuration, or a thrown `ConfigError` listing every problem. */
export function loadSimulatorConfig(env: Readonly<Record<string, string | undefined>>): SimulatorConfig {
  const parsed = parseSimulatorConfig(env);
  if (!parsed.ok) throw new ConfigError(parsed.errors ?? []);
  return parsed.value;
}
