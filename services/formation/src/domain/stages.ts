import { ORDER_STAGES, type OrderStage, type RequisiteDiff } from '@twincontour/platform';

/** One stage an order reached, as recorded. */
export interface StageRecord {
  stage: OrderStage;
  /** When the stage was reached (ISO 8601). */
  at: string;
  code?: string;
  reason?: string;
  diff?: RequisiteDiff[];
}

/** Formation's own stages, reached together in the POST transaction (802-П прил. 1.3). */
export const FORMATION_STAGES: readonly OrderStage[] = Object.freeze(['accepted', 'formed', 'signed-by-formation']);

const RANK: ReadonlyMap<string, number> = new Map(ORDER_STAGES.map((stage, i) => [stage, i]));

/** Position of a stage in boundary.ts ORDER_STAGES; refusals come after every progress stage. */
export function stageRank(stage: OrderStage): number {
  return RANK.get(stage) ?? -1;
}

/**
 * The status of an order: the furthest stage it reached in ORDER_STAGES order, whatever order the
 * reports arrived in (BullMQ does not keep order across retries), so applying the same set of stages
 * in any order gives the same status. Refusals rank above progress: a refusal is terminal and a late
 * progress report cannot hide it.
 */
export function statusOf(stages: readonly Pick<StageRecord, 'stage'>[]): OrderStage | undefined {
  let best: OrderStage | undefined;
  for (const { stage } of stages) if (best === undefined || stageRank(stage) > stageRank(best)) best = stage;
  return best;
}

/**
 * The stage each progress stage follows on the way to the Bank of Russia. Reports travel through two
 * queues with concurrent consumers (t2c → control → c2f), so `executed` can overtake `accepted-by-cbr`;
 * formation holds a report back until its predecessor is recorded, so that the stage history and the
 * back office's webhooks tell the stages in the order they happened (4600-У п. 2.2.3).
 */
const PREDECESSOR: ReadonlyMap<OrderStage, OrderStage> = new Map<OrderStage, OrderStage>([
  ['controlled', 'signed-by-formation'],
  ['signed-by-control', 'controlled'],
  ['sent', 'signed-by-control'],
  ['accepted-by-cbr', 'sent'],
  ['executed', 'accepted-by-cbr'],
]);

/** The progress stage that must be recorded before `stage`, if any. Refusals wait for nothing. */
export function predecessorOf(stage: OrderStage): OrderStage | undefined {
  return PREDECESSOR.get(stage);
}
