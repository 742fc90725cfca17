import type { CodeInfo } from '../result.js';

/** Codes of the XML reader, writer and normalization (`UFEBS_XML_*`, `UFEBS_ED_*`). */
export const XML_CODES: Readonly<Record<string, CodeInfo>> = {
  UFEBS_XML_TOO_LARGE: {
    meaning: 'The XML input is larger than the configured size limit (10 MiB by default).',
    action: 'Check the sender; a single ED or packet is far smaller. Raise the limit only for a known, trusted source.',
  },
  UFEBS_XML_TOO_DEEP: {
    meaning: 'Elements are nested deeper than the configured limit (64 by default).',
    action: 'Reject the file: no UFEBS message nests that deep; it is malformed or hostile.',
  },
  UFEBS_XML_TOO_MANY_ELEMENTS: {
    meaning: 'The document holds more elements than the configured limit.',
    action: 'Reject the file, or split a legitimately huge packet into several before sending.',
  },
  UFEBS_XML_TOO_MANY_ATTRIBUTES: {
    meaning: 'An element carries more attributes than the configured limit (64 by default).',
    action: 'Reject the file: no UFEBS element has that many attributes.',
  },
  UFEBS_XML_DTD_FORBIDDEN: {
    meaning:
      'The document contains a DOCTYPE declaration; DTDs and entity declarations are refused (no XXE, no entity expansion).',
    action: 'Treat as a possible attack and alert security; UFEBS messages never carry a DOCTYPE.',
  },
  UFEBS_XML_PI_FORBIDDEN: {
    meaning: 'The document contains a processing instruction other than the XML declaration.',
    action: 'Reject the file; ask the sender to remove processing instructions.',
  },
  UFEBS_XML_MALFORMED: {
    meaning: 'The input is not well-formed namespace-aware XML 1.0.',
    action: 'Reject the file and ask the sender for a well-formed message; the message names the line and column.',
  },
  UFEBS_XML_ENCODING: {
    meaning:
      'The input encoding is not supported (only Windows-1251 and UTF-8) or the bytes are invalid for the declared encoding.',
    action: 'Ask the sender to write Windows-1251 (the UFEBS encoding) or UTF-8 with a matching XML declaration.',
  },
  UFEBS_XML_XMLLINT_MISSING: {
    meaning: 'Schema validation needs the xmllint program (libxml2), which was not found or could not run.',
    action: 'Install libxml2 utilities (Debian: libxml2-utils) on the host or image that validates messages.',
  },
  UFEBS_XML_XSD_TOOL_FAILED: {
    meaning: 'xmllint ran but failed for a reason other than the document (typically: the schemas did not compile).',
    action: 'Check that packages/ufebs/schemas (ed-with-dsig.xsd and the official xsd-v2024.4.0 files) is intact.',
  },
  UFEBS_ED_UNSUPPORTED: {
    meaning: 'The root element (or an ED inside a packet) is not one of the EDs this gateway handles.',
    action:
      'Route the message elsewhere or extend the parser; supported: ED101, PacketEPD (of ED101), ED201, ED206, ED211.',
  },
  UFEBS_ED_STRUCTURE: {
    meaning: 'The ED does not have the structure of its schema; `errors` lists every problem with its path.',
    action: 'Fix each listed problem in the sending system; nothing of the ED was accepted.',
  },
  UFEBS_ED_MISSING_ELEMENT: {
    meaning: 'A required element is absent (or not where the schema sequence puts it).',
    action: 'Add the element named in the path, in schema order.',
  },
  UFEBS_ED_MISSING_ATTRIBUTE: {
    meaning: 'A required attribute is absent.',
    action: 'Fill the requisite named in the path.',
  },
  UFEBS_ED_UNEXPECTED_ELEMENT: {
    meaning: 'An element that the schema does not allow at that place (unknown, repeated or out of order).',
    action: 'Remove or move the element named in the path.',
  },
  UFEBS_ED_UNEXPECTED_ATTRIBUTE: {
    meaning: 'An attribute that the schema does not define on that element.',
    action: 'Remove the attribute named in the path.',
  },
  UFEBS_ED_UNEXPECTED_TEXT: {
    meaning: 'Text inside an element that holds only elements.',
    action: 'Remove the stray text.',
  },
  UFEBS_ED_WRONG_NAMESPACE: {
    meaning:
      'An element has the expected name but not the expected namespace (`urn:cbr-ru:ed:v2.0`, or `urn:cbr-ru:dsig:v1.1` for a ЗК).',
    action: 'Write the element in the UFEBS namespace.',
  },
  UFEBS_ED_CHOICE: {
    meaning: 'Exactly one of several alternative elements is required, and none or more than one was given.',
    action: 'Keep exactly one of the alternatives named in the message.',
  },
  UFEBS_ED_SIGVALUE_MISPLACED: {
    meaning: 'A dsig:SigValue (ЗК) is not among the first children of its ED, where the schema requires it.',
    action: 'Treat as tampering or a broken signer: a ЗК is only ever added before the ED content.',
  },
  UFEBS_ED_UNENCODABLE: {
    meaning:
      'A value holds a character that cannot be written into a Windows-1251 XML 1.0 file (outside Windows-1251, or a control character).',
    action: 'Correct the value in the back office; characters are never silently replaced.',
  },
};
