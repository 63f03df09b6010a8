import { confirm } from '@inquirer/prompts';

export function confirmOverwriteOnTerminal(file: string): Promise<boolean> {
  return confirm({ message: `${file} differs from the template. Overwrite it?`, default: false }, { output: process.stderr });
}
