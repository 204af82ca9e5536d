import { Injectable, NestMiddleware } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import type { NextFunction, Request, Response } from 'express';
import { AuthenticatorService } from './authenticator.service';
import { setRequestUser } from './request-user';

/** Every request but the public health, version and issuer discovery endpoints must authenticate. */
@Injectable()
export class AuthenticationMiddleware implements NestMiddleware {
  constructor(private readonly authenticator: AuthenticatorService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    this.authenticator.authenticate(req).then(
      (user) => {
        if (user) {
          setRequestUser(req, user);
          return next();
        }
        res.status(401).type('application/json').send(JSON.stringify(ApiError.unauthorized().toStatus()));
      },
      (err: unknown) => {
        const e = ApiError.from(err);
        res.status(e.code).type('application/json').send(JSON.stringify(e.toStatus()));
      },
    );
  }
}
