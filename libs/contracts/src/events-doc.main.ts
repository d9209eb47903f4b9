import { writeFileSync } from 'node:fs';
import { COMMAND_TOPICS, PUBLISHED_TOPICS } from './catalog';
import { EVENTS_DOC_PATH, renderEventsDoc } from './events-doc';
import { WEBHOOK_PAYLOADS } from './webhooks';

writeFileSync(EVENTS_DOC_PATH, renderEventsDoc(PUBLISHED_TOPICS, COMMAND_TOPICS, WEBHOOK_PAYLOADS));
console.log(`wrote ${EVENTS_DOC_PATH}`);
