import { Inject, Injectable } from '@nestjs/common';
import { Database } from '@logbook/platform';
import { IDENTITY_SCHEMA } from '../../migrations/001_initial';
import type { RoleView } from '../roles/roles.queries';
import { DATABASE } from '../shared/tokens';
import { userNotFound } from './user.decider';

export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string;
  isAdmin: boolean;
}

/** MLflow's User.to_json, keys in the order Flask's jsonify sorts them into. */
export interface UserView {
  id: number;
  is_admin: boolean;
  username: string;
}

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  is_admin: boolean;
}

const view = (user: Pick<UserRecord, 'id' | 'username' | 'isAdmin'>): UserView => ({
  id: user.id,
  is_admin: user.isAdmin,
  username: user.username,
});

@Injectable()
export class UsersQueries {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async findByUsername(username: string): Promise<UserRecord | null> {
    const { rows } = await this.db.query<UserRow>(
      `SELECT id, username, password_hash, is_admin FROM ${IDENTITY_SCHEMA}.users WHERE username = $1`,
      [username],
    );
    const row = rows[0];
    return row ? { id: row.id, username: row.username, passwordHash: row.password_hash, isAdmin: row.is_admin } : null;
  }

  async get(username: string): Promise<UserView> {
    const user = await this.findByUsername(username);
    if (!user) throw userNotFound(username);
    return view(user);
  }

  /** Every user, oldest first, with room for their roles. */
  async list(): Promise<Array<UserView & { roles: RoleView[] }>> {
    const { rows } = await this.db.query<UserRow>(
      `SELECT id, username, is_admin FROM ${IDENTITY_SCHEMA}.users ORDER BY id`,
    );
    return rows.map((row) => ({ id: row.id, is_admin: row.is_admin, roles: [], username: row.username }));
  }
}
