import type { OrderStage, RequisiteDiff } from '@twincontour/platform';
import { type StageRecord, statusOf } from './stages.js';

/** ED identity as shown to the back office. */
export interface EdView {
  edNo: string;
  edDate: string;
  edAuthor: string;
}

/** The answer of POST and GET /v1/payment-orders (services.md, "Order view"). */
export interface OrderView {
  id: string;
  /** The latest stage ({@link statusOf}). */
  status: OrderStage;
  ed: EdView | null;
  createdAt: string;
  updatedAt: string;
  /** Code, reason and diff of the status stage, when it has them (a refusal). */
  code?: string;
  reason?: string;
  diff?: RequisiteDiff[];
  /** Every stage reached, in ORDER_STAGES order. */
  stages: StageRecord[];
}

/** What the repository keeps of an order, for the view. */
export interface OrderRecord {
  id: string;
  ed: EdView | null;
  createdAt: string;
  updatedAt: string;
}

/** Builds the view of an order from its record and its stages (at least one: an order is stored accepted). */
export function toOrderView(record: OrderRecord, stages: readonly StageRecord[]): OrderView {
  const status = statusOf(stages) ?? 'accepted';
  const current = stages.find((s) => s.stage === status);
  const view: OrderView = {
    id: record.id,
    status,
    ed: record.ed,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    stages: [...stages],
  };
  if (current?.code !== undefined) view.code = current.code;
  if (current?.reason !== undefined) view.reason = current.reason;
  if (current?.diff !== undefined) view.diff = current.diff;
  return view;
}
