import { renderTable } from '../ui/table.js';
import type { ServiceState } from './state.js';

export function describeServices(services: ServiceState[]): string {
  return renderTable(
    ['SERVICE', 'STATE', 'HEALTH', 'CONTAINER'],
    services.map((s) => [s.service, s.state, s.health, s.container]),
  );
}
