import { status as Status } from '@grpc/grpc-js';
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@logbook/platform';

const handled = new Counter({
  name: 'logbook_grpc_server_handled_total',
  help: 'gRPC calls answered, by method and status code',
  labelNames: ['grpc_service', 'grpc_method', 'grpc_code'],
  registers: [metricsRegistry],
});

const handling = new Histogram({
  name: 'logbook_grpc_server_handling_seconds',
  help: 'gRPC call latency by method',
  labelNames: ['grpc_service', 'grpc_method'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

/** Starts timing a call to `package.Service/method`; the returned function records how it ended. */
export function observeGrpcCall(fullMethod: string): (code: Status) => void {
  const [service, method] = fullMethod.split('/');
  const stopTimer = handling.startTimer({ grpc_service: service, grpc_method: method });
  return (code) => {
    stopTimer();
    handled.inc({ grpc_service: service, grpc_method: method, grpc_code: Status[code] ?? String(code) });
  };
}
