import { Type, type Static } from '@sinclair/typebox';

export const HealthResponse = Type.Object(
  {
    status: Type.Literal('ok'),
    version: Type.String({ description: 'drsentinel version' }),
    uptimeSeconds: Type.Number({ description: 'seconds since the service started' }),
  },
  { description: 'Liveness only: the process answers. No cloud is called.' },
);
export type HealthResponse = Static<typeof HealthResponse>;
