// Every uAPI call answers with a typed result: a value, or an errno name and a message.
// Errno choices follow the kernel's convention (docs/model.md#errno-conventions).

export const ERRNOS = ['EBADF', 'ENOENT', 'EINVAL', 'EBUSY', 'EEXIST', 'ENOSPC', 'EOPNOTSUPP', 'ENOMEM', 'ETIMEDOUT', 'EIO'] as const;
export type Errno = (typeof ERRNOS)[number];

export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}
export interface Err {
  readonly ok: false;
  readonly errno: Errno;
  readonly message: string;
}
export type Result<T> = Ok<T> | Err;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const okVoid: Ok<null> = { ok: true, value: null };
export const err = (errno: Errno, message: string): Err => ({ ok: false, errno, message });

export function isErrno(s: string): s is Errno {
  return (ERRNOS as readonly string[]).includes(s);
}
