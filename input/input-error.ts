// Bad input: a one-line message naming what is wrong and where (file, step index, field, flag).
// The CLI prints it and exits 2; it never shows a stack trace. The embedding API throws it from
// createSimulation (errno EINVAL) where a call cannot answer a Result.
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly errno = 'EINVAL';
}
