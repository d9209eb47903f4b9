// kafkajs keeps the request queue of each broker connection here and ships no typings for it.
declare module 'kafkajs/src/network/requestQueue' {
  interface PushedRequest {
    entry: {
      correlationId: number;
      apiKey: number;
      apiName: string;
      apiVersion: number;
      resolve(response: unknown): void;
      reject(error: Error): void;
    };
    expectResponse: boolean;
    sendRequest(): void;
    requestTimeout?: number;
  }

  class RequestQueue {
    constructor(options: {
      maxInFlightRequests?: number | null;
      requestTimeout: number;
      enforceRequestTimeout: boolean;
      clientId: string;
      broker: string;
      logger: { debug(...args: unknown[]): void; warn(...args: unknown[]): void };
    });
    pending: unknown[];
    throttledUntil: number;
    throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
    push(request: PushedRequest): void;
    fulfillRequest(response: { correlationId: number; payload: Buffer | null; size: number }): void;
    maybeThrottle(clientSideThrottleTimeMs: number | null): void;
    checkPendingRequests(): void;
    scheduleCheckPendingRequests(): void;
    destroy(): void;
  }

  export = RequestQueue;
}
