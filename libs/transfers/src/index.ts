/**
 * How artifact bytes move between the gateway and the artifacts service: the hand-over protocol, the
 * meter that counts and hashes bytes on the way, and the routes the gateway needs to know.
 */
export { MeterOptions, ObjectMeter, ObjectTooLargeError, STREAM_HIGH_WATER_MARK } from './object-meter';
export { ARTIFACT_PREFIXES, OFFLOADABLE_PREFIXES, OWNER_ARTIFACT_ROUTES, SERVER_INFO_ROUTES } from './routes';
export { TRANSFER_OFFLOAD, isOffloadHeader } from './transfer-offload';
