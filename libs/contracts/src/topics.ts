/** Kafka topic of one stream type of one service: `<service>.<streamType>.events.v1`, e.g. `tracking.run.events.v1`. */
export function eventTopic(service: string, streamType: string): string {
  return `${service}.${streamType}.events.v1`;
}
