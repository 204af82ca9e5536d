import { Module } from '@nestjs/common';
import { QueryEndpointLeaseService } from './query-endpoint-lease.service';

/** Advertises this replica's query endpoint to the API server. */
@Module({ providers: [QueryEndpointLeaseService], exports: [QueryEndpointLeaseService] })
export class EndpointModule {}
