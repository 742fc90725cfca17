// Test support (imported by *.test.ts only): reads the text of the reserve copies transport makes. The
// machine has no pdftotext; this reads what pdfkit writes (embedded TrueType, Identity-H, ToUnicode maps),
// the same way a viewer extracts text, so a test can check every requisite is printed.
import { inflateSync } from 'node:zlib';

/**
 * The text of a pdfkit PDF, read the way a viewer does: the objects (pdfkit writes no object streams), each
 * page font's ToUnicode map (embedded TrueType, Identity-H: two-byte glyph ids), and the hex glyph strings
 * of the text operators mapped back to characters, line by line.
 */
export function pdfText(pdf: Uint8Array): string {
  const raw = Buffer.from(pdf);
  const text = raw.toString('latin1');
  const objects = new Map<number, { dict: string; stream?: string }>();
  for (const m of text.matchAll(/(\d+) 0 obj\s*([\s\S]*?)endobj/g)) {
    const body = m[2] as string;
    const at = body.indexOf('stream');
    if (at < 0) {
      objects.set(Number(m[1]), { dict: body });
      continue;
    }
    const dataStart = (m.index ?? 0) + m[0].indexOf(body) + at + (body.slice(at).startsWith('stream\r\n') ? 8 : 7);
    const dataEnd = text.indexOf('endstream', dataStart);
    let stream: string | undefined;
    try {
      stream = inflateSync(raw.subarray(dataStart, dataEnd)).toString('latin1');
    } catch {
      stream = undefined;
    }
    objects.set(Number(m[1]), { dict: body.slice(0, at), ...(stream === undefined ? {} : { stream }) });
  }
  const hex = (h: string) => Number.parseInt(h, 16);
  const utf16 = (h: string) => String.fromCharCode(...(h.match(/.{4}/g) ?? []).map(hex));
  const unicodeOf = (fontObject: number): Map<number, string> => {
    const map = new Map<number, string>();
    const ref = /\/ToUnicode (\d+) 0 R/.exec(objects.get(fontObject)?.dict ?? '')?.[1];
    const cmap = ref ? (objects.get(Number(ref))?.stream ?? '') : '';
    for (const range of cmap.matchAll(/<([0-9a-f]+)>\s*<([0-9a-f]+)>\s*\[([^\]]*)\]/gi)) {
      const first = hex(range[1] as string);
      // An entry may map one glyph to several characters (`<0066 0066>`: the ﬀ ligature).
      [...(range[3] as string).matchAll(/<([0-9a-f\s]+)>/gi)].forEach((v, i) => {
        map.set(first + i, utf16((v[1] as string).replace(/\s+/g, '')));
      });
    }
    for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
      for (const pair of (block[1] as string).matchAll(/<([0-9a-f]+)>\s*<([0-9a-f\s]+)>/gi)) {
        map.set(hex(pair[1] as string), utf16((pair[2] as string).replace(/\s+/g, '')));
      }
    }
    return map;
  };
  const lines: string[] = [];
  for (const { dict } of objects.values()) {
    if (!/\/Type \/Page\b/.test(dict)) continue;
    // The page's fonts: from its own resources, or the resources object it points at.
    const resourcesRef = /\/Resources (\d+) 0 R/.exec(dict)?.[1];
    const resources = resourcesRef ? (objects.get(Number(resourcesRef))?.dict ?? '') : dict;
    const fonts = new Map<string, Map<number, string>>();
    for (const f of (/\/Font\s*<<([^>]*)>>/.exec(resources)?.[1] ?? '').matchAll(/\/(\w+) (\d+) 0 R/g)) {
      fonts.set(f[1] as string, unicodeOf(Number(f[2])));
    }
    const contents = [...(/\/Contents \[?([\d\s0R]+)\]?/.exec(dict)?.[1] ?? '').matchAll(/(\d+) 0 R/g)];
    for (const c of contents) {
      let font = new Map<number, string>();
      const stream = objects.get(Number(c[1]))?.stream ?? '';
      for (const op of stream.matchAll(/\/(\w+) [\d.]+ Tf|\[([^\]]*)\] TJ/g)) {
        if (op[1]) {
          font = fonts.get(op[1]) ?? new Map();
          continue;
        }
        const glyphs = [...(op[2] as string).matchAll(/<([0-9a-f]+)>/gi)].map((g) => g[1] as string).join('');
        lines.push((glyphs.match(/.{4}/g) ?? []).map((g) => font.get(hex(g)) ?? '\uFFFD').join(''));
      }
    }
  }
  return lines.join('\n');
}
