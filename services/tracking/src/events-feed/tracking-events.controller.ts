import { Controller, Get, Header, Query } from '@nestjs/common';
import { Authorize, Rules } from '@logbook/access';
import { EVENT_FEED_ANSWER, EventFeed, EventFeedDto, feedAnswer, feedRequest } from '@logbook/messaging';
import { Answers } from '@logbook/platform';

/** The tracking log as its relay publishes it, from any position on, for admins: what gRPC Subscribe streams. */
@Authorize(Rules.admin())
@Controller(['api/2.0/logbook/events/tracking', 'ajax-api/2.0/logbook/events/tracking'])
export class TrackingEventsController {
  constructor(private readonly feed: EventFeed) {}

  @Get()
  @Header('content-type', 'application/json; charset=utf-8')
  @Answers(EVENT_FEED_ANSWER)
  async read(@Query() dto: EventFeedDto): Promise<string> {
    return feedAnswer(await this.feed.read(feedRequest(dto)));
  }
}
