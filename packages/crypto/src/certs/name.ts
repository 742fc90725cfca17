import { children, content, decodeOid, encoding, readWhole, TAG } from './der.js';

/**
 * Attribute type names for RFC 4514 strings: the RFC's own table, the few others OpenSSL also names,
 * and the Russian identifiers (ИНН, ОГРН, СНИЛС) that Bank of Russia certificates carry.
 */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.2.643.3.131.1.1': 'INN',
  '1.2.643.100.1': 'OGRN',
  '1.2.643.100.3': 'SNILS',
  '1.2.643.100.4': 'INNLE',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });

function decodeString(tag: number, bytes: Uint8Array): string | undefined {
  try {
    switch (tag) {
      case TAG.UTF8_STRING:
        return utf8.decode(bytes);
      case TAG.PRINTABLE_STRING:
      case TAG.IA5_STRING:
      case TAG.NUMERIC_STRING:
      case TAG.TELETEX_STRING:
        // Teletex is read as Latin-1, the way most toolkits do in practice.
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      case TAG.BMP_STRING:
        return bytes.length % 2 === 0 ? utf16be.decode(bytes) : undefined;
      case TAG.UNIVERSAL_STRING: {
        if (bytes.length % 4 !== 0) return undefined;
        let s = '';
        for (let i = 0; i < bytes.length; i += 4) {
          const cp = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
          if (cp > 0x10ffff) return undefined;
          s += String.fromCodePoint(cp);
        }
        return s;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** RFC 4514 2.4 escaping of an attribute value string. */
function escapeValue(value: string): string {
  let out = value.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.endsWith(' ')) out = `${out.slice(0, -1)}\\ `;
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  return out;
}

/**
 * Formats a DER Name as an RFC 4514 string: the last RDN first, `,` between RDNs, `+` inside a
 * multi-valued RDN, non-string values as `#hex`. Undefined when the bytes are not a Name.
 */
export function formatName(der: Uint8Array): string | undefined {
  const root = readWhole(der, TAG.SEQUENCE);
  if (!root) return undefined;
  const rdns = children(der, root);
  if (!rdns) return undefined;
  const parts: string[] = [];
  for (const rdn of rdns) {
    if (rdn.tag !== TAG.SET) return undefined;
    const atvs = children(der, rdn);
    if (!atvs || atvs.length === 0) return undefined;
    const values: string[] = [];
    for (const atv of atvs) {
      if (atv.tag !== TAG.SEQUENCE) return undefined;
      const tv = children(der, atv);
      if (tv?.length !== 2 || tv[0]!.tag !== TAG.OID) return undefined;
      const type = decodeOid(content(der, tv[0]!));
      if (type === undefined) return undefined;
      const valueTlv = tv[1]!;
      const str = decodeString(valueTlv.tag, content(der, valueTlv));
      const value = str === undefined ? `#${Buffer.from(encoding(der, valueTlv)).toString('hex')}` : escapeValue(str);
      values.push(`${ATTRIBUTE_NAMES[type] ?? type}=${value}`);
    }
    parts.push(values.join('+'));
  }
  return parts.reverse().join(',');
}
