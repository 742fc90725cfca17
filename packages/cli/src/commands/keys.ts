import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createCsr,
  generateKeyPair,
  importCertificate,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  readPassphrase,
  readPrivateKey,
  writeEncryptedPrivateKey,
} from '@twincontour/crypto';
import type { Command, Options } from '../command.js';
import { contourOption } from '../identity.js';
import { CliError, EXIT_OK, type Io, printJson, readInput, userPath } from '../io.js';

/** The key's passphrase: --passphrase-file or the variable TWINCONTOUR_KEY_PASSPHRASE; never printed. */
function passphraseOf(options: Options, io: Io): string {
  const file = options['passphrase-file'] as string | undefined;
  const result = readPassphrase(file ? { file: userPath(io, file) } : { env: 'TWINCONTOUR_KEY_PASSPHRASE' }, io.env);
  if (!result.ok) throw new CliError(result.code, result.message);
  return result.value;
}

async function loadKey(options: Options, io: Io) {
  const keyFile = options.key as string | undefined;
  if (!keyFile) throw new CliError('CLI_USAGE', 'give --key FILE');
  const key = await readPrivateKey(await readInput(userPath(io, keyFile)), passphraseOf(options, io));
  if (!key.ok) throw new CliError(key.code, key.message);
  return key.value;
}

const generate: Command = {
  path: ['keys', 'generate'],
  usage: '--contour NAME [--algorithm ecdsa-p256|rsa-2048|rsa-3072|rsa-4096] [--out DIR] [--passphrase-file F]',
  summary:
    'Make a key pair for a contour (802-П п. 13), written encrypted at rest as DIR/NAME.key.pem; a missing passphrase file is created with a random passphrase (mode 0600).',
  options: {
    contour: { type: 'string' },
    algorithm: { type: 'string', default: 'ecdsa-p256' },
    out: { type: 'string', default: '.' },
    'passphrase-file': { type: 'string' },
  },
  async run(_positionals, options, io) {
    const contour = contourOption(options.contour);
    const algorithm = options.algorithm as string;
    if (!(KEY_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw new CliError('CLI_USAGE', `--algorithm must be one of ${KEY_ALGORITHMS.join(', ')}`);
    }
    const dir = userPath(io, options.out as string);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyPath = join(dir, `${contour}.key.pem`);
    if (existsSync(keyPath)) throw new CliError('CLI_EXISTS', `${keyPath} exists; a key is never overwritten`);
    const passphraseFile = userPath(
      io,
      (options['passphrase-file'] as string | undefined) ?? join(dir, `${contour}.passphrase`),
    );
    if (!existsSync(passphraseFile)) {
      await writeFile(passphraseFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    }
    const passphrase = readPassphrase({ file: passphraseFile });
    if (!passphrase.ok) throw new CliError(passphrase.code, passphrase.message);
    const pair = await generateKeyPair({ algorithm: algorithm as KeyAlgorithm });
    await writeFile(keyPath, writeEncryptedPrivateKey(pair.privateKey, passphrase.value), { mode: 0o600, flag: 'wx' });
    printJson(io, { contour, algorithm, keyFile: keyPath, passphraseFile });
    return EXIT_OK;
  },
};

const csr: Command = {
  path: ['keys', 'csr'],
  usage: '--contour NAME --key FILE [--passphrase-file F] --subject "CN=…,O=…"',
  summary:
    'A PKCS#10 certificate request for the certification authority (PEM on stdout), asking for the contour policy.',
  options: {
    contour: { type: 'string' },
    key: { type: 'string' },
    'passphrase-file': { type: 'string' },
    subject: { type: 'string' },
  },
  async run(_positionals, options, io) {
    const contour = contourOption(options.contour);
    const subject = options.subject as string | undefined;
    if (!subject) throw new CliError('CLI_USAGE', 'give --subject, e.g. "CN=Formation contour,O=Bank,C=RU"');
    const result = await createCsr(await loadKey(options, io), subject, { contour });
    if (!result.ok) throw new CliError(result.code, result.message);
    io.stdout(result.value);
    return EXIT_OK;
  },
};

const importCert: Command = {
  path: ['keys', 'import-cert'],
  usage: '--contour NAME --key FILE --cert CERT.pem [--passphrase-file F] [--out DIR]',
  summary:
    'Accept the certificate the CA issued: it must match the key and not name another contour; stored as DIR/NAME.cert.pem.',
  options: {
    contour: { type: 'string' },
    key: { type: 'string' },
    cert: { type: 'string' },
    'passphrase-file': { type: 'string' },
    out: { type: 'string', default: '.' },
  },
  async run(_positionals, options, io) {
    const contour = contourOption(options.contour);
    const certFile = options.cert as string | undefined;
    if (!certFile) throw new CliError('CLI_USAGE', 'give --cert FILE');
    const certificate = await readInput(userPath(io, certFile));
    const imported = importCertificate(certificate, await loadKey(options, io), { expectedContour: contour });
    if (!imported.ok) throw new CliError(imported.code, imported.message, 1);
    const dir = userPath(io, options.out as string);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const target = join(dir, `${contour}.cert.pem`);
    await writeFile(target, imported.value.certificatePem);
    printJson(io, { contour, certFile: target, certificate: imported.value.description });
    return EXIT_OK;
  },
};

/** `twincontour keys …` */
export const keysCommands: readonly Command[] = [generate, csr, importCert];
