import { describe, expect, it } from 'vitest';
import { checkText, TEXT_PATTERN } from './text.js';

const codes = (v: string, max = 210) => checkText(v, 'purpose', max).map((e) => e.code);

describe('checkText (TextCategory)', () => {
  it.each([
    'Оплата по счёту № 317 от 10.04.2025, в т.ч. НДС (20%) 20833-33',
    'ООО "Ромашка"',
    'Payment for invoice #17 {a|b} ~ [x] ^_^ `q`',
    'Ёлки и ёжики',
    'a',
    'trailing spaces allowed   ',
  ])('%j passes', (v) => {
    expect(codes(v)).toEqual([]);
    expect(new RegExp(TEXT_PATTERN).test(v)).toBe(true);
  });

  it.each([
    ['ООО «Ромашка»', ['UFEBS_TEXT_CHARSET'], 'guillemets'],
    ['Оплата — аванс', ['UFEBS_TEXT_CHARSET'], 'em dash'],
    ['line\nbreak', ['UFEBS_TEXT_CHARSET'], 'newline'],
    ['tab\there', ['UFEBS_TEXT_CHARSET'], 'tab'],
    ['Україна', ['UFEBS_TEXT_CHARSET'], 'Ukrainian letters outside А–я'],
    ['naïve', ['UFEBS_TEXT_CHARSET'], 'Latin letter with diaeresis'],
    [' Оплата', ['UFEBS_TEXT_LEADING_SPACE'], 'leading space (NOTES.md; the XSD alone would allow it)'],
    ['   ', ['UFEBS_TEXT_CHARSET', 'UFEBS_TEXT_LEADING_SPACE'], 'spaces only'],
    ['', ['UFEBS_TEXT_LENGTH'], 'empty'],
    [' «x»', ['UFEBS_TEXT_CHARSET', 'UFEBS_TEXT_LEADING_SPACE'], 'every problem reported'],
  ])('%j fails with %j (%s)', (v, expected) => {
    expect(codes(v)).toEqual(expected);
  });

  it('limits the length: 160 for names, 210 for the purpose', () => {
    expect(codes('Я'.repeat(160), 160)).toEqual([]);
    expect(codes('Я'.repeat(161), 160)).toEqual(['UFEBS_TEXT_LENGTH']);
    expect(codes('x'.repeat(210))).toEqual([]);
    expect(codes('x'.repeat(211))).toEqual(['UFEBS_TEXT_LENGTH']);
  });
});
