import { Type, type Static } from '@sinclair/typebox';

export const HealthResponse = Type.Object(
  {
    status: Type.Literal('ok'),
    role: Type.Union([Type.Literal('leader'), Type.Literal('follower'), Type.Literal('single')], {
      description: 'leader: runs the schedule, the syncs and the runbook steps among replicas; follower: serves reads and takes decisions for the leader; single: alone on its SQLite store',
    }),
    store: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { description: 'the store this process uses' }),
    version: Type.String({ description: 'drsentinel version' }),
    uptimeSeconds: Type.Number({ description: 'seconds since the service started' }),
  },
  { description: 'Liveness, and this replica\'s part: the process answers. Neither a cloud nor the store is called.' },
);
export type HealthResponse = Static<typeof HealthResponse>;
