// How a failed write or open reads in the CLI's one-line messages: the errno's code and the
// system's words for it, e.g. `ENOSPC (no space left on device)`.
import { getSystemErrorMap } from 'node:util';

/** libuv calls EISDIR "illegal operation on a directory"; for a file name, this says more. */
const PLAINER: Record<string, string> = { EISDIR: 'is a directory, expected a file name' };

export function writeErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string') return String(err?.message ?? e);
  const words = PLAINER[err.code] ?? (err.errno !== undefined ? getSystemErrorMap().get(err.errno)?.[1] : undefined);
  return words ? `${err.code} (${words})` : err.code;
}
