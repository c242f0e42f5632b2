/**
 * Public, cacheable answers (the script tag and the native bundle): one body, its strong ETag and
 * its gzip and brotli encodings, each compressed once and kept with the body, so a CDN or a
 * browser can revalidate (`If-None-Match` → 304) and a busy page costs no compression.
 *
 * Each encoding is its own representation, so its ETag carries a suffix (`"hash"`, `"hash-gz"`,
 * `"hash-br"`); `If-None-Match` with any of them matches the same content.
 */
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

export type Encoding = 'br' | 'gzip' | 'identity';

export class Representation {
  readonly body: Buffer;
  /** the hash of the body, quoted: the identity encoding's ETag */
  readonly etag: string;
  private readonly encoded = new Map<Encoding, Buffer>();

  constructor(
    text: string,
    readonly contentType: string,
  ) {
    this.body = Buffer.from(text, 'utf8');
    this.etag = `"${createHash('sha256').update(this.body).digest('base64url').slice(0, 32)}"`;
  }

  bytes(encoding: Encoding): Buffer {
    if (encoding === 'identity') return this.body;
    let bytes = this.encoded.get(encoding);
    if (!bytes) {
      bytes =
        encoding === 'br'
          ? brotliCompressSync(this.body, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: 11,
                [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
                [constants.BROTLI_PARAM_SIZE_HINT]: this.body.length,
              },
            })
          : gzipSync(this.body, { level: 9 });
      this.encoded.set(encoding, bytes);
    }
    return bytes;
  }

  etagFor(encoding: Encoding): string {
    return encoding === 'identity'
      ? this.etag
      : `${this.etag.slice(0, -1)}-${encoding === 'br' ? 'br' : 'gz'}"`;
  }

  /** Whether an `If-None-Match` header names this content (in any encoding). */
  matches(ifNoneMatch: string | undefined): boolean {
    if (ifNoneMatch === undefined) return false;
    for (const raw of ifNoneMatch.split(',')) {
      const tag = raw.trim().replace(/^W\//, '');
      if (tag === '*') return true;
      if (tag.replace(/-(gz|br)"$/, '"') === this.etag) return true;
    }
    return false;
  }
}

/** The encoding to answer with: the client's most preferred of br and gzip, else identity. */
export function preferredEncoding(acceptEncoding: string | undefined): Encoding {
  if (!acceptEncoding) return 'identity';
  const quality: Partial<Record<string, number>> = {};
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    let q = 1;
    for (const param of params) {
      const [k, v] = param.trim().split('=');
      if (k === 'q') q = Number.parseFloat(v ?? '');
    }
    if (name) quality[name.trim()] = Number.isFinite(q) ? q : 0;
  }
  const q = (name: 'br' | 'gzip') => quality[name] ?? quality['*'] ?? 0;
  const br = q('br');
  const gzip = q('gzip');
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return 'identity';
}

/** Answers the representation: 304 when the client already has it, else the negotiated encoding. */
export function sendRepresentation(
  request: FastifyRequest,
  reply: FastifyReply,
  representation: Representation,
  maxAge: number,
): FastifyReply {
  const encoding = preferredEncoding(request.headers['accept-encoding']);
  reply.header('cache-control', `public, max-age=${maxAge}`);
  reply.header('etag', representation.etagFor(encoding));
  reply.header('vary', 'Accept-Encoding');
  reply.header('x-content-type-options', 'nosniff');
  // Public by design: any page or app may read it (the key in its URL is not a secret).
  reply.header('access-control-allow-origin', '*');
  if (representation.matches(request.headers['if-none-match'])) return reply.code(304).send();
  reply.type(representation.contentType);
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  return reply.code(200).send(representation.bytes(encoding));
}
