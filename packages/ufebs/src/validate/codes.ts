import type { CodeInfo } from '../result.js';

/** Codes of the requisite validators (`UFEBS_*`). */
export const VALIDATION_CODES: Readonly<Record<string, CodeInfo>> = {};
