import { writeFileSync } from 'node:fs';
import { COMMAND_TOPICS, PUBLISHED_TOPICS } from './catalog';
import { EVENTS_DOC_PATH, renderEventsDoc } from './events-doc';

writeFileSync(EVENTS_DOC_PATH, renderEventsDoc(PUBLISHED_TOPICS, COMMAND_TOPICS));
console.log(`wrote ${EVENTS_DOC_PATH}`);
