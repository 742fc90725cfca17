import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFacts, thumbprintOf } from './certificate.js';
import { TestPki } from './test-pki.js';

let pki: TestPki;
beforeAll(() => {
  pki = new TestPki();
});
afterAll(() => pki.dispose());

describe('certificateFacts', () => {
  it.each([
    ['/C=RU/O=Bank/CN=Plain', 'CN=Plain,O=Bank,C=RU'],
    ['/C=RU/O=ООО "Ромашка"/CN=Иванов, И.И.', 'CN=Иванов\\, И.И.,O=ООО \\"Ромашка\\",C=RU'],
    // In openssl -subj a backslash escapes the next character ("+" would start another RDN value).
    ['/CN=a\\+b;c<d>e\\\\f', 'CN=a\\+b\\;c\\<d\\>e\\\\f'],
    ['/CN=#1 ', 'CN=\\#1\\ '],
    // An attribute type without an RFC 4514 short name: dotted OID and the hex of its BER value.
    ['/INN=007707083893/CN=X', 'CN=X,1.2.643.3.131.1.1=#120c303037373037303833383933'],
    ['/CN=A+OU=B', 'CN=A+OU=B'],
  ])('subject %s → %s (RFC 4514)', (subject, expected) => {
    const leaf = pki.leaf('dn', 'ec-p256', { subject });
    const facts = certificateFacts(leaf.certificateDer);
    if (!facts.ok) throw new Error(facts.message);
    expect(facts.value.info.subject).toBe(expected);
    expect(facts.value.info.issuer).toBe('CN=Test CA,O=TwinContour Test,C=RU');
    expect(facts.value.info.serialNumber).toBe(pki.serial.toString(16));
    expect(facts.value.info.thumbprint).toBe(thumbprintOf(leaf.certificateDer));
    expect(facts.value.subjectKeyIdentifier).toHaveLength(20);
    expect(facts.value.publicKey?.asymmetricKeyType).toBe('ec');
  });

  it('keeps a copy: changing the caller buffer afterwards does not change the cached facts', () => {
    const leaf = pki.leaf('copy', 'ec-p256');
    const buf = new Uint8Array(leaf.certificateDer);
    const facts = certificateFacts(buf);
    buf.fill(0);
    expect(facts.ok && facts.value.der).toEqual(leaf.certificateDer);
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['a bare SEQUENCE', Uint8Array.of(0x30, 0x00)],
    ['three empty SEQUENCEs', Uint8Array.of(0x30, 0x06, 0x30, 0x00, 0x30, 0x00, 0x30, 0x00)],
  ])('refuses %s with SIG_CERT_MALFORMED', (_, der) => {
    expect(certificateFacts(der)).toMatchObject({ ok: false, code: 'SIG_CERT_MALFORMED' });
  });
});
