import { EventEnvelope, InlineProjection } from '@logbook/eventstore';
import { Queryable } from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import { UserEvent } from './user.events';

async function applyUserEvent(tx: Queryable, event: UserEvent): Promise<void> {
  switch (event.type) {
    case 'UserCreated': {
      const { userId, username, passwordHash, isAdmin, time } = event.data;
      await tx.query(
        `INSERT INTO ${IDENTITY_SCHEMA}.users (id, username, password_hash, is_admin, created_time)
         VALUES ($1, $2, $3, $4, $5)`,
        [userId, username, passwordHash, isAdmin, time],
      );
      return;
    }
    case 'UserPasswordChanged':
      await tx.query(`UPDATE ${IDENTITY_SCHEMA}.users SET password_hash = $2 WHERE id = $1`, [
        event.data.userId,
        event.data.passwordHash,
      ]);
      return;
    case 'UserAdminChanged':
      await tx.query(`UPDATE ${IDENTITY_SCHEMA}.users SET is_admin = $2 WHERE id = $1`, [
        event.data.userId,
        event.data.isAdmin,
      ]);
      return;
    case 'UserDeleted':
      await tx.query(`DELETE FROM ${IDENTITY_SCHEMA}.users WHERE id = $1`, [event.data.userId]);
      return;
  }
}

/** The users table, kept in the append's transaction: a user can sign in as soon as the create answers. */
export const usersProjection: InlineProjection = {
  name: 'users',
  tables: [`${IDENTITY_SCHEMA}.users`],
  async apply(tx, events: EventEnvelope[]) {
    for (const event of events) {
      if (event.streamType === 'user') await applyUserEvent(tx, event as unknown as UserEvent);
    }
  },
};
