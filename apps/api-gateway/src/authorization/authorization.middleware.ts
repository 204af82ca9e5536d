import { Injectable, NestMiddleware } from '@nestjs/common';
import { ApiError } from '@skiff/api-machinery';
import type { NextFunction, Request, Response } from 'express';
import { requestUser, setRequestUser } from '../auth/request-user';
import { AuthorizationService } from './authorization.service';

// Who a request without credentials is, as kube-apiserver's anonymous authenticator names it.
const ANONYMOUS = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Runs after authentication: the request goes on as the user it may act as, or is refused with a 403 Status. */
@Injectable()
export class AuthorizationMiddleware implements NestMiddleware {
  constructor(private readonly authorization: AuthorizationService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    this.authorization.authorizeRequest(req, requestUser(req) ?? ANONYMOUS).then(
      (user) => {
        setRequestUser(req, user);
        next();
      },
      (err: unknown) => {
        const e = ApiError.from(err);
        res.status(e.code).type('application/json').send(JSON.stringify(e.toStatus()));
      },
    );
  }
}
