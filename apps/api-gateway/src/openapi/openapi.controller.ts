import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import {
  ApiError,
  buildOpenApiV3Index,
  negotiateOpenApiV2,
  openApiV2Document,
  openApiV3Document,
  ResourceRegistry,
} from '@skiff/api-machinery';
import type { Response } from 'express';

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

  @Get('v2')
  v2(@Headers('accept') accept: string | undefined, @Res() res: Response): void {
    if (negotiateOpenApiV2(accept) === 'not-acceptable') {
      return void this.fail(res, ApiError.notAcceptable('only application/json is served for /openapi/v2'));
    }
    res.type('application/json').send(openApiV2Document(this.resources.all(), this.resources.schemas).json);
  }

  private fail(res: Response, err: ApiError): void {
    res.status(err.code).type('application/json').send(JSON.stringify(err.toStatus()));
  }
}
