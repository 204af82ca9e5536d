import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ApiError, errorDetail } from '@skiff/api-machinery';
import type { Request, Response } from 'express';
import { recordUnhandledError } from '../audit/request-audit';

/** Whatever escapes a route (unknown paths, framework errors) still answers a Kubernetes Status. */
@Catch()
export class StatusExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    let status: ApiError;
    if (err instanceof ApiError) status = err;
    else if (err instanceof HttpException && err.getStatus() === 404) status = ApiError.pathNotFound(req.path);
    else if (err instanceof HttpException) status = new ApiError(err.getStatus(), 'BadRequest', err.message);
    else {
      this.log.error(`${req.method} ${req.originalUrl}: ${errorDetail(err)}`);
      recordUnhandledError(req, err);
      status = ApiError.from(err);
    }
    if (res.headersSent) return void res.end();
    res.status(status.code).type('application/json').send(JSON.stringify(status.toStatus()));
  }
}
