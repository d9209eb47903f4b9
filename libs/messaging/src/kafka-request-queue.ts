import RequestQueue from 'kafkajs/src/network/requestQueue';

/** kafkajs' own delay before it looks again at requests queued while none could be sent. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

let quieted = false;

/**
 * kafkajs 2.2.4 keeps a timer running on every broker connection that has answered a request: with no
 * request queued, its RequestQueue schedules the next look at the queue after a negative delay, that is
 * every millisecond, for as long as the connection lives (kafkajs issues 1556 and 1704). Each service
 * process woke about 1,700 times a second for nothing, 3% of a core while idle. The queue only needs a
 * timer while requests wait in it: a request that cannot be sent at once schedules one (at the end of a
 * broker's throttling, else after kafkajs' 10 ms), and every response looks at the queue itself.
 */
export function quietIdleKafkaConnections(): void {
  if (quieted) return;
  quieted = true;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.pending.length === 0 || this.throttleCheckTimeoutId) return;
    const throttledForMs = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttledForMs > 0 ? throttledForMs : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };
}
