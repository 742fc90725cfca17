/**
 * A value of type `T` whose fields may each be missing, at every depth: what is left of an input
 * after its badly typed parts were dropped, so that requisite checks still run on the rest and
 * every error is reported at once.
 */
export type Loose<T> = T extends string
  ? T
  : T extends readonly (infer U)[]
    ? readonly Loose<U>[]
    : T extends object
      ? { [K in keyof T]?: Loose<T[K]> }
      : T;
