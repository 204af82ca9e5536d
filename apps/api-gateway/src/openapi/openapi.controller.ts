import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import {
  buildOpenApiV3Index,
  negotiateOpenApiV2,
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
  openApiV3Document,
  ResourceRegistry,
  servedOpenApiV2,
} from '@skiff/api-server';
import type { Request, Response } from 'express';

/** /openapi/v3 (index + group-version documents) and /openapi/v2, built once per set of served resources and cached. */
@Controller('openapi')
export class OpenApiController {
  constructor(private readonly resources: ResourceRegistry) {}

  @Get('v3')
  index(@Res() res: Response): void {
    res.type('application/json').send(buildOpenApiV3Index(this.resources.all(), this.resources.schemas).json);
  }

  @Get('v3/*path')
  document(@Param('path') path: string | string[], @Res() res: Response): void {
    const p = Array.isArray(path) ? path.join('/') : path;
    const doc = openApiV3Document(p, this.resources.all(), this.resources.schemas);
    if (!doc) return void this.fail(res, ApiError.pathNotFound(`/openapi/v3/${p}`));
    // Clients address documents by content hash, so a hashed URL may be cached for good.
    res.set('Cache-Control', 'public, immutable').set('Etag', `"${doc.hash}"`);
    res.type('application/json').send(doc.json);
  }

  /** As kube-openapi's handler: JSON or kubectl's gnostic protobuf by Accept (else a bare 406), one ETag for both, conditional GETs. */
  @Get('v2')
  v2(@Req() req: Request, @Res() res: Response): void {
    res.vary('Accept');
    const format = negotiateOpenApiV2(req.headers.accept);
    if (!format) return void res.status(406).end();
    const served = servedOpenApiV2(this.resources.all(), this.resources.schemas);
    const etag = `"${served.json.hash}"`;
    res.set('Etag', etag);
    if (notModified(req, etag, served.lastModified)) return void res.status(304).end();
    res.set('Last-Modified', served.lastModified.toUTCString());
    // setHeader, not res.set/type: Express would append "; charset=utf-8", which upstream does not send.
    res.setHeader('Content-Type', format === 'json' ? 'application/json' : OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
    res.status(200).end(format === 'json' ? served.json.json : served.protobuf());
  }

  private fail(res: Response, err: ApiError): void {
    res.status(err.code).type('application/json').send(JSON.stringify(err.toStatus()));
  }
}

// Go's http.ServeContent: If-None-Match (weak comparison, `*`) decides when present, else If-Modified-Since.
function notModified(req: Request, etag: string, lastModified: Date): boolean {
  const noneMatch = req.headers['if-none-match'];
  if (noneMatch !== undefined) {
    const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');
    return noneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
  }
  const since = req.headers['if-modified-since'];
  if (since === undefined) return false;
  const t = Date.parse(since);
  return !Number.isNaN(t) && Math.floor(lastModified.getTime() / 1000) * 1000 <= t;
}
