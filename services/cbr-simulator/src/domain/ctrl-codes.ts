/**
 * The CtrlCode values of the simulator's ED201 (result of control, NOTES.md "Answers from the Bank of
 * Russia"). The real Bank of Russia uses many more; the simulator answers these four, one per check, so a
 * participant can exercise each outcome. README.md carries the same table.
 */
export const CTRL_CODES = Object.freeze({
  accepted: { code: '0000', annotation: 'ЭС принято к исполнению' },
  schema: { code: '0101', annotation: 'ЭС не соответствует XML-схеме УФЭБС' },
  signature: { code: '0202', annotation: 'Ошибка проверки КА или ЗК ЭС' },
  duplicate: { code: '0303', annotation: 'Повторное ЭС: ЭС с такими EDNo, EDDate, EDAuthor уже принято' },
} as const);

/** A CtrlCode the simulator answers with. */
export type CtrlCode = (typeof CTRL_CODES)[keyof typeof CTRL_CODES]['code'];

/** The annotation (ED201 Annotation, at most 150 characters of the UFEBS text set) of a CtrlCode. */
export function annotationOf(code: CtrlCode): string {
  const entry = Object.values(CTRL_CODES).find((c) => c.code === code);
  return entry?.annotation ?? 'Результат контроля';
}
