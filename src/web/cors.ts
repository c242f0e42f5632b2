import type { FastifyReply } from 'fastify';

/**
 * Answers the CORS preflight of a POST route that pages may call: the method and the headers
 * they may send (a JSON body, a Bearer key). Whether the origin may is the route's own rule,
 * set as `Access-Control-Allow-Origin` beside this.
 */
export function answerPreflight(reply: FastifyReply): FastifyReply {
  return reply
    .header('access-control-allow-methods', 'POST')
    .header('access-control-allow-headers', 'content-type, authorization, x-conductrics-apikey')
    .header('access-control-max-age', '600')
    .code(204)
    .send();
}
