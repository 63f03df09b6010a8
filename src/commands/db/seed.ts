import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { runAdminOperation } from '../../lib/admin/dispatch.js';
import type { SeedResult } from '../../lib/seed/seed.js';
import { withProgress } from '../../lib/ui/progress.js';

export default class DbSeed extends BaseCommand<typeof DbSeed> {
  static override summary = 'Load a demo site with realistic synthetic traffic.';
  static override description =
    'Generates visits inside ClickHouse (sources, pages, countries, devices, browsers, sessions, custom events) over ' +
    'the last N days: a million events take seconds. The same --seed gives the same traffic.';
  static override examples = [
    '<%= config.bin %> db seed',
    '<%= config.bin %> db seed --events 1000000 --days 365',
    '<%= config.bin %> db seed --domain demo.example.com --replace --json',
  ];
  static override flags = {
    domain: Flags.string({ description: 'Domain of the demo site (created if missing).', default: 'demo.example.com' }),
    events: Flags.integer({ description: 'About how many events to generate.', default: 100_000, min: 1 }),
    days: Flags.integer({ description: 'Spread them over the last N days.', default: 30, min: 1, max: 3650 }),
    seed: Flags.integer({ description: 'Random seed: the same seed gives the same traffic.', default: 1, min: 0 }),
    replace: Flags.boolean({ description: "Delete the site's existing events first." }),
  };

  async run(): Promise<SeedResult> {
    const { flags } = this;
    const config = this.loadConfig();
    // Through the running server's admin socket when it owns the embedded stores.
    const result = await withProgress('Seeding', { quiet: this.jsonEnabled() }, () =>
      runAdminOperation(config, 'db.seed', {
        domain: flags.domain,
        events: flags.events,
        days: flags.days,
        seed: flags.seed,
        replace: flags.replace,
      }),
    );
    this.log(
      `Seeded ${result.site.domain}: ${result.events} events, ${result.sessions} sessions, ${result.visitors} visitors ` +
        `from ${result.from} to ${result.to} in ${result.durationMs} ms (${result.eventsPerSecond} events/s).`,
    );
    return result;
  }
}
