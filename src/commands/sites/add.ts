import { Args, Flags } from '@oclif/core';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { AdminResult } from '../../lib/admin/operations.js';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { trackerSnippet } from '../../lib/sites/sites.js';

export type SitesAddResult = AdminResult<'sites.add'> & { snippet: string };

export default class SitesAdd extends BaseCommand<typeof SitesAdd> {
  static override summary = 'Add a site to collect analytics for.';
  static override description =
    'The domain is the one the tracker reports: lowercase, without scheme or www. (https://www.Example.com/ becomes ' +
    'example.com). A domain that already has a site is refused. Works while the server runs: it goes through the ' +
    'admin socket.';
  static override examples = [
    '<%= config.bin %> sites add example.com',
    '<%= config.bin %> sites add blog.example.com --timezone Europe/Berlin',
    '<%= config.bin %> sites add example.com --json',
  ];
  static override args = {
    domain: Args.string({ description: 'Domain of the site, e.g. example.com.', required: true }),
  };
  static override flags = {
    timezone: Flags.string({ description: 'IANA time zone the reports use for days.', default: 'Etc/UTC' }),
  };

  async run(): Promise<SitesAddResult> {
    const config = this.loadConfig();
    const { site } = await runAdminOperation(config, 'sites.add', { domain: this.args.domain, timezone: this.flags.timezone });
    const snippet = trackerSnippet(config.baseUrl, site.domain);
    this.log(`Added ${site.domain} (id ${site.id}, time zone ${site.timezone}). Put this in the <head> of its pages:`);
    this.log(`  ${snippet}`);
    return { site, snippet };
  }
}
