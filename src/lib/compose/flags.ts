import { Flags } from '@oclif/core';
import { DEFAULT_PROJECT } from './project.js';

/** Where the rendered stack lives and what compose calls it; shared by the compose commands, setup and upgrade. */
export const stackFlags = {
  dir: Flags.string({ description: 'Directory holding docker-compose.yml and .env.', default: '.' }),
  'project-name': Flags.string({ description: 'Compose project name.', default: DEFAULT_PROJECT }),
};
