import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { renderTable } from '../../lib/ui/table.js';

export type UsersListResult = AdminResult<'users.list'>;

export default class UsersList extends BaseCommand<typeof UsersList> {
  static override summary = 'List the user accounts.';
  static override examples = ['<%= config.bin %> users list', '<%= config.bin %> users list --json'];

  async run(): Promise<UsersListResult> {
    const result = await runAdminOperation(this.loadConfig(), 'users.list', {});
    if (result.users.length === 0) {
      this.log('No users yet. Create the first admin with: analytics db init-admin --email you@example.com');
      return result;
    }
    this.log(
      renderTable(
        ['ID', 'EMAIL', 'NAME', 'ADMIN', 'CREATED'],
        result.users.map((u) => [u.id, u.email, u.name, u.isAdmin ? 'yes' : 'no', u.createdAt.slice(0, 10)]),
      ),
    );
    return result;
  }
}
