import type { AnyEd, EdIdentity, PacketEpd } from './model.js';
import type { FieldError } from './result.js';
import { validateEdIdentity } from './validate/identity.js';
import { validateEd101 } from './validate/index.js';
import { parseEd } from './xml/parser.js';

/** Codes of the whole-message check that are about the packet rather than one field. */
export const CHECK_CODES = {
  UFEBS_PACKET_QUANTITY: {
    meaning: 'PacketEPD/@EDQuantity differs from the number of EDs in the packet',
    action: 'Rebuild the packet; EDQuantity must count its EDs.',
  },
  UFEBS_PACKET_SUM: {
    meaning: 'PacketEPD/@Sum differs from the total of its EDs',
    action: 'Rebuild the packet; Sum must be the total of the EDs in kopecks.',
  },
  UFEBS_PACKET_SYSTEM_CODE: {
    meaning: "An ED's SystemCode differs from its packet's",
    action: 'Put urgent and non-urgent payments in separate packets.',
  },
  UFEBS_PACKET_DUPLICATE_ED: {
    meaning: 'Two EDs of one packet share EDNo + EDDate + EDAuthor',
    action: 'Give every ED of a packet its own EDNo.',
  },
} as const;

/** What `ed check` reports about one file. */
export interface EdCheckReport {
  /** False when the bytes are not a well-formed, safe XML document at all (the CLI exits 2). */
  readable: boolean;
  /** True only when the ED parsed and every requisite check passed. */
  valid: boolean;
  /** Root element: ED101, PacketEPD, ED201, ED206, ED211. */
  kind?: AnyEd['kind'];
  identity?: EdIdentity;
  /** Number of EDs checked (1, or the EDs of a packet). */
  edCount?: number;
  /** Every problem found, all at once. */
  findings: FieldError[];
}

function identityOf(ed: EdIdentity): EdIdentity {
  return { edNo: ed.edNo, edDate: ed.edDate, edAuthor: ed.edAuthor };
}

function checkPacket(packet: PacketEpd): FieldError[] {
  const findings = validateEdIdentity(packet);
  if (packet.edQuantity !== String(packet.eds.length)) {
    findings.push({
      code: 'UFEBS_PACKET_QUANTITY',
      path: 'edQuantity',
      message: `EDQuantity ${packet.edQuantity} but the packet holds ${packet.eds.length}`,
    });
  }
  let total = 0n;
  let sumsReadable = true;
  const seen = new Set<string>();
  packet.eds.forEach((ed, i) => {
    const prefix = `eds.${i}`;
    for (const f of validateEd101(ed)) findings.push({ ...f, path: `${prefix}.${f.path}` });
    if (/^\d{1,18}$/.test(ed.sum)) total += BigInt(ed.sum);
    else sumsReadable = false;
    if (ed.systemCode !== packet.systemCode) {
      findings.push({
        code: 'UFEBS_PACKET_SYSTEM_CODE',
        path: `${prefix}.systemCode`,
        message: `SystemCode ${ed.systemCode} in a packet of ${packet.systemCode}`,
      });
    }
    const key = `${ed.edNo}|${ed.edDate}|${ed.edAuthor}`;
    if (seen.has(key)) {
      findings.push({
        code: 'UFEBS_PACKET_DUPLICATE_ED',
        path: `${prefix}.edNo`,
        message: 'ED identity repeated in the packet',
      });
    }
    seen.add(key);
  });
  // A packet sum is compared only when every member sum is a number; a bad one is already reported.
  if (sumsReadable && packet.sum !== total.toString()) {
    findings.push({ code: 'UFEBS_PACKET_SUM', path: 'sum', message: `Sum ${packet.sum} but the EDs total ${total}` });
  }
  return findings;
}

/**
 * Parses an ED or a PacketEPD and runs every requisite check on it, reporting every finding at once.
 * Never throws: unreadable bytes give `readable: false` with the reader's `UFEBS_XML_*` code.
 */
export function checkEd(input: Uint8Array | string): EdCheckReport {
  const parsed = parseEd(input);
  if (!parsed.ok) {
    const findings = parsed.errors ?? [{ code: parsed.code, path: '', message: parsed.message }];
    return { readable: !parsed.code.startsWith('UFEBS_XML_'), valid: false, findings };
  }
  const ed = parsed.value;
  let findings: FieldError[];
  let edCount = 1;
  switch (ed.kind) {
    case 'ED101':
      findings = validateEd101(ed);
      break;
    case 'PacketEPD':
      findings = checkPacket(ed);
      edCount = ed.eds.length;
      break;
    default:
      // Answers from the Bank of Russia: the gateway checks their identity; their content is the CBR's.
      findings = validateEdIdentity(ed);
  }
  return { readable: true, valid: findings.length === 0, kind: ed.kind, identity: identityOf(ed), edCount, findings };
}
