import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { manifestSchema } from './manifest.js';

export const sidecarSchema = z.object({
  manifest: manifestSchema,
  archive: z.object({ file: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string() }),
  verification: z
    .object({ at: z.string(), ok: z.boolean(), detail: z.string().optional() })
    .optional(),
});
export type Sidecar = z.infer<typeof sidecarSchema>;

export const sidecarPath = (archivePath: string) => `${archivePath}.json`;

/** The sidecar of an archive, or undefined when it is missing or unreadable (the archive stays the truth). */
export function readSidecar(archivePath: string): Sidecar | undefined {
  const file = sidecarPath(archivePath);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = sidecarSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
