import { Type, type Static } from '@sinclair/typebox';

export const ReportSummary = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'monthly (later: post-rollback, post-incident)' }),
  period: Type.String({ description: 'what the report covers: YYYY-MM for a monthly report' }),
  createdAt: Type.String(),
});

export const ReportList = Type.Object({ reports: Type.Array(ReportSummary) });

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  kind: Type.Optional(Type.String({ minLength: 1 })),
});
export type ListQuery = Static<typeof ListQuery>;

export const ReportIdParam = Type.Object({ id: Type.String() });
export type ReportIdParam = Static<typeof ReportIdParam>;

export const FormatQuery = Type.Object({
  format: Type.Union([Type.Literal('json'), Type.Literal('html'), Type.Literal('md')], {
    default: 'json',
    description: 'json: the report model with its id; html: the e-mail-safe page; md: Markdown',
  }),
});
export type FormatQuery = Static<typeof FormatQuery>;

export const CreateMonthlyBody = Type.Object(
  {
    month: Type.Optional(Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM; default the current month (UTC)' })),
    email: Type.Optional(Type.Boolean({ description: 'also send it to the Tech Lead (notify.email.techLead)' })),
  },
  { additionalProperties: false },
);
export type CreateMonthlyBody = Static<typeof CreateMonthlyBody>;

export const CreateMonthlyReply = Type.Object({
  id: Type.String({ description: 'read it at GET /api/v1/reports/:id' }),
  month: Type.String(),
  verdict: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')]),
  emailedTo: Type.Array(Type.String()),
});
