import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { UsageError } from '../../lib/cli/errors.js';
import { stackFlags } from '../../lib/compose/flags.js';
import { TEMPLATE_TARGETS, type TemplateTarget } from '../../lib/templates/bundles.js';
import { templateFlags } from '../../lib/templates/flags.js';
import { renderFromConfig } from '../../lib/templates/from-config.js';
import type { RenderResult } from '../../lib/templates/render.js';

export default class TemplatesRender extends BaseCommand<typeof TemplatesRender> {
  static override summary = 'Render deployment files: compose stack, reverse proxy, Kubernetes, systemd, cron.';
  static override description =
    'Targets: compose (docker-compose.yml, ClickHouse low-memory and log-TTL configs, Caddyfile), proxy (nginx and ' +
    'Caddy configs forwarding X-Forwarded-For), kubernetes (kustomize base with a backup CronJob, clickhouse-cluster ' +
    'overlay), systemd (analytics.service, backup service and timer), cron (backup crontab). Values come from the env ' +
    'file and flags. Files that exist with other content are never overwritten silently: --force, or a yes on a ' +
    'terminal; --dry-run shows what would change.';
  static override examples = [
    '<%= config.bin %> templates render compose --dry-run',
    '<%= config.bin %> templates render proxy systemd --dir /opt/analytics',
    '<%= config.bin %> templates render kubernetes --image registry.example.com/analytics:0.1.0 --force',
  ];
  static override strict = false;
  static override args = { targets: Args.string({ description: `One or more of ${TEMPLATE_TARGETS.join(', ')}.`, required: true }) };
  static override flags = {
    ...stackFlags,
    ...templateFlags,
    'dry-run': Flags.boolean({ description: 'Show what would be written; write nothing.' }),
    force: Flags.boolean({ description: 'Overwrite files that differ.' }),
    namespace: Flags.string({ description: 'Kubernetes namespace.', default: 'analytics' }),
    'trusted-proxies': Flags.string({ description: 'Kubernetes: CIDRs of the ingress controller pods.', default: '10.0.0.0/8' }),
  };

  async run(): Promise<RenderResult> {
    const { flags, argv } = await this.parse(TemplatesRender);
    const targets = argv as string[];
    const unknown = targets.filter((t) => !(TEMPLATE_TARGETS as readonly string[]).includes(t));
    if (unknown.length) throw new UsageError(`Unknown target(s) ${unknown.join(', ')}; choose from ${TEMPLATE_TARGETS.join(', ')}`);
    const result = await renderFromConfig({
      loaded: this.loadConfigRaw(),
      envFile: flags['env-file'],
      targets: targets as TemplateTarget[],
      outputDir: flags.dir,
      project: flags['project-name'],
      clickhouse: flags.clickhouse as 'server' | 'embedded',
      network: flags.network as 'bridge' | 'host',
      images: { analytics: flags.image, postgres: flags['postgres-image'], clickhouse: flags['clickhouse-image'], caddy: flags['caddy-image'] },
      namespace: flags.namespace,
      trustedProxies: flags['trusted-proxies'],
      write: { dryRun: flags['dry-run'], force: flags.force, canPrompt: this.canPrompt && !this.jsonEnabled() },
    });
    for (const file of result.files) this.log(`${file.action.padEnd(15)} ${file.path}`);
    return result;
  }
}
