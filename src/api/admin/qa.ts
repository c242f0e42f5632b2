/**
 * QA over the Admin API (docs/targeting.md): QA sessions of a deploy target (read to list; change,
 * as for agents, to create or delete) and the playground, which evaluates a target's deployed
 * snapshot for a session, inputs and traits and writes and counts nothing (read). A QA session's
 * recent requests with their debug log (read), and "forget" (as to create it), which deletes the
 * visitor's stored state so the QA session starts as a new visitor.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Command } from '../../runtime/engine.js';
import { MAX_SESSION_LENGTH } from '../../runtime/runtime-service.js';
import { type QaSession, QaSessionInput } from '../../targets/qa-sessions.js';
import { auditActor } from '../../web/actor.js';
import { AccountParams, Answer, bodyFields, IsoTime, iso, ok } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';

const QaSessionRecord = z.object({
  code: z
    .string()
    .describe('the session id to send (session=…); its selections and rewards are never counted'),
  deployTarget: z.string(),
  name: z.string(),
  forced: z.record(z.string(), z.string()).describe('agent → the variation it answers this session'),
  expiresAt: IsoTime,
  createdAt: IsoTime,
  createdBy: z.string(),
});

function qaRecord(qa: QaSession): z.input<typeof QaSessionRecord> {
  return { ...qa, expiresAt: iso(qa.expiresAt), createdAt: iso(qa.createdAt) };
}

const PlaygroundBody = z.object({
  session: z
    .string()
    .max(MAX_SESSION_LENGTH)
    .optional()
    .describe('whose stored state to start from (absent: a new visitor)'),
  inputs: z.record(z.string().max(256), z.union([z.string().max(4096), z.number(), z.boolean()])).default({}),
  traits: z.array(z.string().max(512)).max(100).default([]).describe('GROUP:VALUE, as the runtime query'),
  ua: z.string().max(1024).optional(),
  commands: z
    .array(z.object({ a: z.string().min(1).max(256) }))
    .max(100)
    .default([])
    .describe('agents to evaluate (absent: every agent deployed)'),
  at: IsoTime.optional().describe('the moment to evaluate at, for weekday and hour rules (absent: now)'),
});

const PlaygroundAnswer = Answer(
  z.object({
    session: z.string(),
    qa: z.string().nullable().describe('the QA session this session is, if any'),
    traits: z.array(z.string()),
    agents: z.array(
      z.object({
        a: z.string(),
        c: z.string().nullable().describe('variation answered; null: no item'),
        p: z.string().nullable().describe('policy'),
        why: z.array(z.string()),
      }),
    ),
    log: z.array(z.string()),
  }),
);

const QaRequestRecord = z.object({
  at: IsoTime,
  deployTarget: z.string(),
  commands: z.array(z.unknown()),
  inputs: z.record(z.string(), z.string()),
  traits: z.array(z.string()).describe('GROUP:VALUE traits sent in the query'),
  items: z.array(z.unknown()).describe('the answered items'),
  log: z.array(z.string()).describe("the engine's debug lines"),
});

const CodeParams = AccountParams.extend({ code: z.string().min(1).max(100) });
const TargetParams = AccountParams.extend({ dt: z.string().min(1).max(64) });

export function registerQaRoutes(
  root: FastifyInstance,
  services: Pick<Services, 'qaSessions' | 'runtime' | 'deployTargets'>,
): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['qa'];

  app.get(
    '/admin/:acc/qa-sessions',
    {
      config: { permission: 'read' },
      schema: { tags, params: AccountParams, response: { 200: Answer(z.array(QaSessionRecord)) } },
    },
    async (request) => ok((await services.qaSessions.list(request.params.acc)).map(qaRecord)),
  );

  app.post(
    '/admin/:acc/qa-sessions',
    {
      config: { permission: 'change' },
      schema: {
        tags,
        params: AccountParams,
        body: QaSessionInput,
        response: { 201: Answer(QaSessionRecord, 201) },
      },
    },
    async (request, reply) => {
      const qa = await bodyFields(
        services.qaSessions.create(request.params.acc, request.body, auditActor(request)),
      );
      return reply.code(201).send({ status: 201, data: qaRecord(qa) });
    },
  );

  app.delete(
    '/admin/:acc/qa-sessions/:code',
    {
      config: { permission: 'change' },
      schema: { tags, params: CodeParams, response: { 200: Answer(QaSessionRecord) } },
    },
    async (request) =>
      ok(
        qaRecord(
          await services.qaSessions.remove(request.params.acc, request.params.code, auditActor(request)),
        ),
      ),
  );

  app.get(
    '/admin/:acc/qa-sessions/:code/requests',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        description: "The QA session's last 50 requests (newest first), each with the engine's debug log.",
        params: CodeParams,
        response: { 200: Answer(z.array(QaRequestRecord)) },
      },
    },
    async (request) => {
      const kept = await services.qaSessions.requests(request.params.acc, request.params.code);
      return ok(kept.map((r) => ({ ...r, at: iso(r.at) })));
    },
  );

  app.post(
    '/admin/:acc/qa-sessions/:code/forget',
    {
      config: { permission: 'change' },
      schema: {
        tags,
        description:
          "Deletes the QA session's stored visitor state (selections, traits, eligibility, placements): its next request starts as a new visitor.",
        params: CodeParams,
        response: { 200: Answer(QaSessionRecord) },
      },
    },
    async (request) => {
      const { acc, code } = request.params;
      const qa = await services.qaSessions.get(acc, code);
      await services.runtime.forget(acc, qa.code);
      return ok(qaRecord(qa));
    },
  );

  app.post(
    '/admin/:acc/deploy-targets/:dt/playground',
    {
      config: { permission: 'read' },
      schema: { tags, params: TargetParams, body: PlaygroundBody, response: { 200: PlaygroundAnswer } },
    },
    async (request) => {
      const { acc, dt } = request.params;
      await services.deployTargets.get(acc, dt);
      const body = request.body;
      const inputs = Object.fromEntries(Object.entries(body.inputs).map(([k, v]) => [k, String(v)]));
      const answer = await services.runtime.preview({
        accountId: acc,
        deployTargetId: dt,
        session: body.session,
        commands: body.commands as Command[],
        inputs,
        queryTraits: body.traits,
        userAgent: body.ua,
        debug: true,
        now: body.at === undefined ? undefined : Date.parse(body.at),
      });
      return ok({
        session: answer.session,
        qa: answer.qa,
        traits: answer.traits,
        agents: answer.agents,
        log: answer.log,
      });
    },
  );
}
