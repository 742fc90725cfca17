export { runScenario, SCENARIOS, type ScenarioResult } from './commands/demo.js';
export {
  adminDatabaseUrl,
  DEV_SERVICES,
  type DevCredentials,
  type DevServiceName,
  devIdentities,
  ensureDevCredentials,
  ensureDevDatabases,
  ensureDevKeyFile,
  serviceEnv,
} from './dev/environment.js';
export { startGateway } from './dev/gateway.js';
export { REPO_ROOT, type ServiceProcess, spawnService } from './dev/processes.js';
export { main } from './main.js';
