import { writeFileSync } from 'node:fs';
import { PUBLISHED_TOPICS } from './catalog';
import { EVENTS_DOC_PATH, renderEventsDoc } from './events-doc';

writeFileSync(EVENTS_DOC_PATH, renderEventsDoc(PUBLISHED_TOPICS));
console.log(`wrote ${EVENTS_DOC_PATH}`);
