import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import { TokenEvent } from './token.events';

/** The tokens table, kept in the append's transaction: a token works as soon as its issue answers. */
export const tokensProjection: InlineProjection = {
  name: 'tokens',
  tables: [`${IDENTITY_SCHEMA}.tokens`],
  async apply(tx, events: EventEnvelope[]) {
    for (const envelope of events) {
      if (envelope.streamType !== 'token') continue;
      const event = envelope as unknown as TokenEvent;
      if (event.type === 'TokenIssued') {
        const { tokenId, name, ownerUserId, ownerUsername, scope, secretHash, expiresTime, time } = event.data;
        await tx.query(
          `INSERT INTO ${IDENTITY_SCHEMA}.tokens
             (id, name, owner_user_id, owner_username, scope, secret_hash, created_time, expires_time)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [tokenId, name, ownerUserId, ownerUsername, scope, secretHash, time, expiresTime],
        );
      } else {
        await tx.query(`UPDATE ${IDENTITY_SCHEMA}.tokens SET revoked_time = $2 WHERE id = $1`, [
          event.data.tokenId,
          event.data.time,
        ]);
      }
    }
  },
};
