/**
 * The callbacks room: agents and deliveries (docs/spec/notifications.md). It registers the notification planner with
 * the unit of work, so notifications are planned in the same transaction as the facts that cause them.
 */
import { agentView, createAgent, deleteAgent, listAgentRows, mustAgent, patchAgent, rotateToken } from '../callbacks/agents.ts';
import { createTestDelivery, deliveryView, listDeliveries, mustDelivery, redeliver } from '../callbacks/deliveries.ts';
import { createPlanner } from '../callbacks/planner.ts';
import type { Handlers, ServiceCore } from './context.ts';

export interface OutboxCounts {
  pending: number;
  retry: number;
  failure: number;
}

export class CallbacksRoom {
  constructor(
    private readonly s: ServiceCore,
    servers: () => number,
  ) {
    s.uow.addPlanner(createPlanner(s.db, { servers }));
  }

  outboxCounts(): OutboxCounts {
    const rows = this.s.db
      .prepare("SELECT state, COUNT(*) AS n FROM deliveries WHERE state IN ('PENDING','RETRY','FAILURE') GROUP BY state")
      .all() as { state: string; n: number }[];
    const get = (state: string): number => rows.find((r) => r.state === state)?.n ?? 0;
    return { pending: get('PENDING'), retry: get('RETRY'), failure: get('FAILURE') };
  }

  readonly handlers = {
    listAgents: () => ({ agents: listAgentRows(this.s.db).map((r) => agentView(r)) }),
    createAgent: ({ body }) => agentView(this.s.uow.write(() => createAgent(this.s.db, body, this.s.clock.now())), true),
    patchAgent: ({ params, body }) =>
      agentView(this.s.uow.write(() => patchAgent(this.s.db, params.id, body, this.s.clock.now(), this.s.tipHeight()))),
    deleteAgent: ({ params }) => {
      this.s.uow.write(() => deleteAgent(this.s.db, params.id, this.s.clock.now()));
      return { id: params.id, deleted: true as const };
    },
    rotateAgentToken: ({ params, body }) => ({ token: this.s.uow.write(() => rotateToken(this.s.db, params.id, body?.token)) }),
    testAgent: ({ params }) => deliveryView(this.s.db, this.s.uow.write(() => createTestDelivery(this.s.db, params.id, this.s.network, this.s.clock.now()))),
    listDeliveries: ({ query }) => {
      if (query.agent) mustAgent(this.s.db, query.agent);
      return listDeliveries(this.s.db, query);
    },
    getDelivery: ({ params }) => deliveryView(this.s.db, mustDelivery(this.s.db, params.id)),
    redeliver: ({ params }) => deliveryView(this.s.db, this.s.uow.write(() => redeliver(this.s.db, params.id, this.s.clock.now()))),
  } satisfies Partial<Handlers>;
}
