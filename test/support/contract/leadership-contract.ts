import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Leadership, type LeaderTerm, TendError } from '../../../src/spi/index.js';

/** What a backend's test hands the shared suite. */
export interface LeadershipFixture {
  /** A new candidate (one manager) on the shared backend. */
  candidate(name: string, address?: string): Promise<Leadership>;
  /** Takes the seat away from outside (the file rewritten, the key deleted), if the backend can. */
  depose?: () => Promise<void>;
  /** How long to watch that standbys stay standbys; a few renewal rounds. Not a timing assertion. */
  settleMs: number;
  cleanup?: () => Promise<void>;
}

/** Fails instead of hanging; the bound is generous so a loaded machine never trips it. */
async function within<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang guard: ${what} did not happen`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Which of the pending campaigns have resolved so far. */
function track(campaigns: Array<Promise<LeaderTerm>>): Array<LeaderTerm | undefined> {
  const won: Array<LeaderTerm | undefined> = campaigns.map(() => undefined);
  campaigns.forEach((campaign, i) => {
    campaign.then(
      (term) => {
        won[i] = term;
      },
      () => undefined,
    );
  });
  return won;
}

async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
  return within(
    (async () => {
      for (;;) {
        const value = probe();
        if (value !== undefined) return value;
        await sleep(10);
      }
    })(),
    what,
  );
}

/**
 * `exclusive`: one leader at a time (file, etcd, swarm, plugin). Static leadership is not: every
 * candidate leads at once, so the hand-over cases do not apply to it and are not registered for it
 * at all (its own test asserts what it does instead) — neither a pass that asserted nothing nor a
 * skip that CI would have to explain. Every exclusive backend must be deposable from outside.
 */
export interface LeadershipContractOptions {
  exclusive: boolean;
}

/** The behaviour every Leadership backend must share; each test gets a fresh backend. */
export function runLeadershipContract(
  name: string,
  create: () => Promise<LeadershipFixture>,
  { exclusive }: LeadershipContractOptions = { exclusive: true },
): void {
  const withFixture = (
    title: string,
    body: (fixture: LeadershipFixture, made: Leadership[]) => Promise<void>,
    only: 'exclusive' | 'any' = 'any',
  ) => {
    if (only === 'exclusive' && !exclusive) return;
    test(title, async () => {
      const fixture = await create();
      const made: Leadership[] = [];
      const tracked: LeadershipFixture = {
        ...fixture,
        candidate: async (n, address) => {
          const candidate = await fixture.candidate(n, address);
          made.push(candidate);
          return candidate;
        },
      };
      try {
        await body(tracked, made);
      } finally {
        await Promise.all(made.map((candidate) => candidate.close()));
        await fixture.cleanup?.();
      }
    });
  };

  describe(`${name}: Leadership contract`, () => {
    withFixture('a lone candidate becomes leader and leader() reports it', async (fixture) => {
      const a = await fixture.candidate('a', 'http://127.0.0.1:7001');
      const term = await within(a.campaign(), 'a wins');
      assert.ok(Number.isSafeInteger(term.epoch) && term.epoch >= 1, `epoch ${term.epoch}`);
      assert.equal(term.signal.aborted, false);
      assert.deepEqual(await a.leader(), { name: 'a', address: 'http://127.0.0.1:7001', epoch: term.epoch });
    });

    withFixture('resign aborts the term signal', async (fixture) => {
      const a = await fixture.candidate('a');
      const term = await within(a.campaign(), 'a wins');
      await term.resign();
      assert.equal(term.signal.aborted, true);
      assert.ok(TendError.is(term.signal.reason, 'not_leader'), String(term.signal.reason));
      // An exclusive seat is free after a resign; where every candidate always leads, a still is.
      if (exclusive) assert.equal(await a.leader(), undefined);
      else assert.equal((await a.leader())?.name, 'a');
    });

    withFixture('a campaign whose signal is aborted rejects with timeout', async (fixture) => {
      const a = await fixture.candidate('a');
      await assert.rejects(a.campaign({ signal: AbortSignal.abort() }), (e: unknown) =>
        TendError.is(e, 'timeout'),
      );
    });

    withFixture(
      'aborting a waiting campaign leaves the leader alone',
      async (fixture) => {
        const a = await fixture.candidate('a');
        const term = await within(a.campaign(), 'a wins');
        const b = await fixture.candidate('b');
        const controller = new AbortController();
        const waiting = b.campaign({ signal: controller.signal });
        controller.abort();
        await assert.rejects(waiting, (e: unknown) => TendError.is(e, 'timeout'));
        assert.equal(term.signal.aborted, false);
      },
      'exclusive',
    );

    withFixture(
      'one leader at a time; resign hands over with a strictly higher epoch',
      async (fixture) => {
        const names = ['a', 'b', 'c'];
        const candidates = await Promise.all(names.map((n) => fixture.candidate(n)));
        const won = track(candidates.map((c) => c.campaign()));
        const epochs: number[] = [];
        const done = new Set<number>();
        for (let round = 0; round < names.length; round++) {
          const index = await waitFor(() => {
            const i = won.findIndex((term, j) => term !== undefined && !done.has(j));
            return i === -1 ? undefined : i;
          }, `round ${round}: someone wins`);
          await sleep(fixture.settleMs);
          const holders = won.filter((term) => term !== undefined && !term.signal.aborted);
          assert.equal(holders.length, 1, `exactly one leader in round ${round}`);
          const term = won[index];
          assert.ok(term !== undefined);
          epochs.push(term.epoch);
          assert.deepEqual(await candidates[(index + 1) % names.length]?.leader(), {
            name: names[index],
            epoch: term.epoch,
          });
          done.add(index);
          await term.resign();
          assert.equal(term.signal.aborted, true);
        }
        for (let i = 1; i < epochs.length; i++) {
          assert.ok((epochs[i] ?? 0) > (epochs[i - 1] ?? 0), `epochs increase: ${epochs.join(', ')}`);
        }
      },
      'exclusive',
    );

    withFixture(
      'closing the leader lets a standby take over',
      async (fixture) => {
        const a = await fixture.candidate('a');
        const b = await fixture.candidate('b');
        const first = await within(a.campaign(), 'a wins');
        const second = b.campaign();
        await a.close();
        assert.equal(first.signal.aborted, true);
        const next = await within(second, 'b takes over');
        assert.ok(next.epoch > first.epoch);
        assert.equal((await b.leader())?.name, 'b');
      },
      'exclusive',
    );

    withFixture(
      'a deposed leader sees its signal abort; a standby wins a higher epoch',
      async (fixture) => {
        const depose = fixture.depose;
        assert.ok(depose !== undefined, 'an exclusive backend can be deposed from outside');
        const a = await fixture.candidate('a');
        const first = await within(a.campaign(), 'a wins');
        await depose();
        await within(aborted(first.signal), 'the deposed leader’s signal aborts');
        assert.ok(TendError.is(first.signal.reason, 'not_leader'), String(first.signal.reason));
        const b = await fixture.candidate('b');
        const next = await within(b.campaign(), 'b wins after the deposition');
        assert.ok(next.epoch > first.epoch, `${next.epoch} > ${first.epoch}`);
      },
      'exclusive',
    );
  });
}
