// Bad input: a one-line message naming what is wrong and where (file, step index, field, flag).
// The CLI prints it and exits 2; it never shows a stack trace.
export class InputError extends Error {
  override readonly name = 'InputError';
}
