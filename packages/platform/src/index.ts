// Public API of @twincontour/platform. Named exports only; importing this module has no side effects.
export {
  buildServiceApp,
  type DeclaredRoute,
  ERROR_BODY_SCHEMA,
  type RateLimitSettings,
  type ReadinessCheck,
  type ServiceAppOptions,
} from './app.js';
export {
  type AuthFailureCode,
  type AuthFailureEvent,
  type AuthOptions,
  createIdentityRegistry,
  generateApiKey,
  hashApiKey,
  type Identity,
  type IdentityRecord,
  type IdentityRegistry,
  identityRecordSchema,
  installAuth,
  normalizeThumbprint,
  ROLES,
  type Role,
  SECURITY_SCHEMES,
} from './auth.js';
export * from './boundary.js';
export { type CatalogCheckOptions, type CatalogProblems, catalogProblems } from './catalog-check.js';
export {
  defineErrorCatalog,
  type ErrorCatalog,
  type ErrorCodeInfo,
  PLATFORM_CODES,
  type PlatformCode,
} from './codes.js';
export {
  type Config,
  ConfigError,
  type DeepReadonly,
  type Env,
  type LoadConfigOptions,
  loadConfig,
  parseConfig,
} from './config.js';
export {
  type AnyTObject,
  cfg,
  type JsonSchemaNode,
  type NumberOptions,
  type ObjectStatic,
  type Static,
  type StringOptions,
  type TObject,
  type TOptional,
  type TSchema,
} from './config-schema.js';
export {
  createPool,
  type IsolationLevel,
  type Pool,
  type PoolClient,
  type PoolOptions,
  pgReadiness,
  type Queryable,
  type TransactionOptions,
  withTransaction,
} from './db.js';
export {
  AppError,
  createErrorFactory,
  type ErrorAnswer,
  type ErrorBody,
  errorHandler,
  isAppError,
  notFoundHandler,
  platformError,
  toErrorAnswer,
} from './errors.js';
export { installJsonBodyParser, jsonNestingDepth, MAX_JSON_DEPTH } from './json-body.js';
export { createLogger, type LoggerOptions, REDACT_PATHS, REDACTED, SECRET_FIELD_NAMES } from './logger.js';
export * from './loop.js';
export {
  type CollectedGaugeOptions,
  createCollectedGauge,
  type GaugeSample,
  seriesValue,
} from './metrics.js';
export {
  type MigrateOptions,
  type MigrateReport,
  type Migration,
  migrate,
  PLATFORM_MIGRATIONS_DIR,
  readMigrations,
} from './migrate.js';
export {
  ackOutbox,
  addToOutbox,
  createOutboxRelay,
  type OutboxMessage,
  type OutboxRelay,
  type OutboxRelayOptions,
  outboxBacklog,
  type RelayRunReport,
} from './outbox.js';
export {
  checkJobId,
  createQueue,
  createWorker,
  DEFAULT_JOB_OPTIONS,
  JobError,
  type ProcessOnceResult,
  parseFailedReason,
  processOnce,
  type QueueCommonOptions,
  type RedisConnection,
  redisConnectionFromUrl,
  redisReadiness,
  toBullError,
  type WorkerOptions,
} from './queue.js';
export { type Failure, type FieldError, fail, ok, type Result } from './result.js';
export { type CloseStep, type RunningService, type RunServiceOptions, runService } from './run-service.js';
export { SERVICE_CONFIG_PROPERTIES, serviceRateLimit } from './service-config.js';
export {
  createTestDatabase,
  createTestRedis,
  randomSuffix,
  type TestDatabase,
  type TestRedis,
  testRedisConnection,
} from './testing.js';
export { ajvFieldErrors, buildRouteValidator, createAjv } from './validation.js';
