/** Messages between the processes of `kassa serve --processes N` (node:cluster IPC). */

/** Whether an IPC message (any value another process sent) is an object whose `type` is `type`. */
export const isMessage = <T extends { type: string }>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
