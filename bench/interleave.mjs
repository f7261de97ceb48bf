// Interleaving, shared by the benchmarks that compare runs with each other
// (bench/list.mjs, bench/breakdown.mjs): on these VMs the speed drifts by
// tens of percent within minutes, so runs timed one after another would
// compare different minutes.

/**
 * Runs each participant's warm-up, then `rounds` rounds in which every
 * participant runs its slice; the order rotates by one each round and every
 * other round runs backwards, so that no participant always follows the
 * same one or always comes early in a round. Returns each participant's
 * slice results, in order, by name.
 * A participant is { name, warm: () => Promise, slice: () => Promise<chunk> }.
 */
export async function interleave(participants, rounds) {
  for (const p of participants) await p.warm();
  const chunks = Object.fromEntries(participants.map((p) => [p.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = participants.map((_, i) => participants[(i + r) % participants.length]);
    if (r % 2 === 1) order.reverse();
    for (const p of order) chunks[p.name].push(await p.slice());
  }
  return chunks;
}
