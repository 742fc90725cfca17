import * as auditPackage from '@twincontour/audit';
import { type ErrorCatalog, PLATFORM_CODES } from '@twincontour/platform';
import { SIMULATOR_CODES } from '../../../services/cbr-simulator/src/errors.js';
import { CONTROL_CODES } from '../../../services/control/src/errors.js';
import { FORMATION_CODES } from '../../../services/formation/src/errors.js';
import { TRANSPORT_CODES } from '../../../services/transport/src/errors.js';

/** Every catalog the audit package exports (audit, archive, …): its routes are mounted in the services. */
const AUDIT_PACKAGE_CODES: ErrorCatalog = Object.assign(
  {},
  ...Object.entries(auditPackage)
    .filter(([name, value]) => name.endsWith('_CODES') && typeof value === 'object' && value !== null)
    .map(([, value]) => value as ErrorCatalog),
);

function catalogOf(own: ErrorCatalog): ErrorCatalog {
  return Object.freeze({ ...PLATFORM_CODES, ...AUDIT_PACKAGE_CODES, ...own });
}

/** The codes each service's HTTP API may answer with: the platform's, the audit package's and its own. */
export const SERVICE_CATALOGS = Object.freeze({
  formation: catalogOf(FORMATION_CODES),
  control: catalogOf(CONTROL_CODES),
  transport: catalogOf(TRANSPORT_CODES),
  'cbr-simulator': catalogOf(SIMULATOR_CODES),
});
