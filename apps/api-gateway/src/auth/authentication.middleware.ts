import { Injectable, NestMiddleware } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import type { NextFunction, Request, Response } from 'express';
import { AdminTokenService } from './admin-token.service';
import { setRequestUser } from './request-user';

/** Every request but the public health and version endpoints must carry a valid bearer token. */
@Injectable()
export class AuthenticationMiddleware implements NestMiddleware {
  constructor(private readonly tokens: AdminTokenService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const user = this.tokens.userFor(req.headers.authorization);
    if (user) {
      setRequestUser(req, user);
      return next();
    }
    res.status(401).type('application/json').send(JSON.stringify(ApiError.unauthorized().toStatus()));
  }
}
