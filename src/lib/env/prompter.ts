import { confirm, input, password, select } from '@inquirer/prompts';

/** What the wizard needs from a person. Drawn on stderr so stdout carries only the result. */
export interface Prompter {
  input(message: string, options: { default?: string; validate?: (value: string) => true | string }): Promise<string>;
  secret(message: string, options: { validate?: (value: string) => true | string }): Promise<string>;
  select<V extends string>(message: string, choices: { value: V; name: string }[], defaultValue?: V): Promise<V>;
  confirm(message: string, defaultValue: boolean): Promise<boolean>;
}

export function terminalPrompter(): Prompter {
  const context = { input: process.stdin, output: process.stderr };
  return {
    input: (message, options) =>
      input({ message, default: options.default, validate: options.validate }, context),
    secret: (message, options) => password({ message, mask: '*', validate: options.validate }, context),
    select: (message, choices, defaultValue) => select({ message, choices, default: defaultValue }, context),
    confirm: (message, defaultValue) => confirm({ message, default: defaultValue }, context),
  };
}
