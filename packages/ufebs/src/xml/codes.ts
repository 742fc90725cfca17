import type { CodeInfo } from '../result.js';

/** Codes of the XML reader, writer and normalization (`UFEBS_XML_*`, `UFEBS_ED_*`). */
export const XML_CODES: Readonly<Record<string, CodeInfo>> = {};
