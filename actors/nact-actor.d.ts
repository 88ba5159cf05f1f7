// nact ships no typings for its internal module; the facade needs only its Actor class.
declare module 'nact/lib/actor.js' {
  const actorLib: { Actor: { prototype: object } };
  export default actorLib;
}
