import { ARCHIVE_CODES, AUDIT_CODES } from '@twincontour/audit';
import { CRYPTO_CODES } from '@twincontour/crypto';
import { type CodeInfo, UFEBS_CODES } from '@twincontour/ufebs';
import { CLI_CODES } from './codes.js';

/** Every package's catalog, in the order docs/errors.md lists them. */
export const CATALOGS: readonly { title: string; intro: string; codes: Readonly<Record<string, CodeInfo>> }[] = [
  {
    title: 'UFEBS messages and requisites (`UFEBS_*`)',
    intro:
      'Returned by the requisite checks (HTTP 422 with every field error, `ed check` findings) and the XML reader and writer.',
    codes: UFEBS_CODES,
  },
  {
    title: 'Signatures, certificates, keys and encryption (`SIG_*`, `TRUST_*`, `CRL_*`, `KEY_*`, `PKI_*`, `ENC_*`)',
    intro: 'Returned per signer by every signature check (ЗК, КА), by key and certificate handling, and by encryption.',
    codes: CRYPTO_CODES,
  },
  {
    title: 'Audit log (`AUDIT_*`)',
    intro:
      'Answered by the security-officer API (`/v1/audit/*`), thrown by `record()` to a calling service, and reported as verification findings by `POST /v1/audit/verify`, `verifyExport` and `twincontour audit verify`.',
    codes: AUDIT_CODES,
  },
  {
    title: 'Message archive (`ARC_*`)',
    intro:
      'Answered by the archive API (`/v1/archive*` on transport) and `twincontour archive verify`; verification findings come inside the result (HTTP 200, CLI exit 1). See packages/audit/docs/archive.md.',
    codes: ARCHIVE_CODES,
  },
  {
    title: 'Command-line tool (`CLI_*`)',
    intro: 'Printed by `twincontour` with exit code 2 unless said otherwise.',
    codes: CLI_CODES,
  },
];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** docs/errors.md, generated from the catalogs: `pnpm docs:errors` writes it; a test keeps it in step. */
export function renderErrorsDoc(): string {
  const parts = [
    '# Error codes',
    '',
    'Every error the gateway reports carries a stable code: never renamed, never reused. The wording of',
    'messages may change; the codes do not. This page is generated from the packages’ catalogs',
    '(`pnpm docs:errors`), and a test fails when it and the code differ.',
    '',
    'Each service and the platform keep their own catalog beside their code, with the HTTP status of each code:',
    '',
    '- [`CFG_*`, `PLT_*`, `AUTH_*`, `DB_*`, `QUE_*` — configuration, HTTP edge, authentication, migrations, queues](../packages/platform/docs/errors.md)',
    '- [`FRM_*` — formation](../services/formation/docs/errors.md)',
    '- [`CTL_*` — control](../services/control/docs/errors.md)',
    '- [`AUDIT_*` — audit log, with HTTP statuses](../packages/audit/docs/errors.md)',
    '',
  ];
  for (const catalog of CATALOGS) {
    parts.push(`## ${catalog.title}`, '', catalog.intro, '', '| code | meaning | what to do |', '|---|---|---|');
    for (const code of Object.keys(catalog.codes).sort()) {
      const info = catalog.codes[code]!;
      parts.push(`| \`${code}\` | ${cell(info.meaning)} | ${cell(info.action)} |`);
    }
    parts.push('');
  }
  return parts.join('\n');
}
