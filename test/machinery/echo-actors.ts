// The actors the facade's tests talk to: one that echoes its number back, and one that stops
// itself after an await while answering its first message, so the mail queued behind it is
// answered with its errno by nact.
import { type Result, ok } from '../../actors/result.js';
import { type ParentRef, type ReplyTo, reply, spawnNamed, stopActor } from '../../actors/runtime.js';

export type Echo = { t: 'echo'; n: number; replyTo: ReplyTo<Result<number>> };

/** Echoes `n` back; mail left when it stops is answered with `released` (if given). */
export const spawnEcho = (parent: ParentRef, name = 'echo', released?: Parameters<typeof spawnNamed>[5]) =>
  spawnNamed<null, Echo>(
    parent,
    name,
    null,
    (s, m) => {
      reply(m.replyTo, ok(m.n));
      return s;
    },
    () => undefined,
    released,
  );

/** Answers its first message after an await, stopping itself first: the rest of its mail is EBADF. */
export const spawnClosing = (parent: ParentRef) =>
  spawnNamed<null, Echo>(
    parent,
    'closing',
    null,
    async (s, m, self) => {
      await null;
      stopActor(self);
      reply(m.replyTo, ok(m.n));
      return s;
    },
    () => undefined,
    { errno: 'EBADF', message: 'closed' },
  );
