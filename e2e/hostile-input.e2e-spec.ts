import { hostileUser, HostileUser, runHostileRequests, startTestCluster, TestCluster } from '@skiff/testing';

// Issue 15 "Hostile input": a fixed seed, so a failure here replays with `npm run bench -- fuzz --seed=20261204 --requests=10000`.
const SEED = 20261204;
const REQUESTS = 10_000;

describe('hostile input', () => {
  let cluster: TestCluster;
  let user: HostileUser;

  beforeAll(async () => {
    user = hostileUser();
    cluster = await startTestCluster(user.env);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    user?.remove();
  });

  it(`answers ${REQUESTS} malformed and hostile requests without a crash, an undeclared 5xx, a non-Status refusal, an invalid object stored or a hidden object shown`, async () => {
    const summary = await runHostileRequests(cluster, user, { seed: SEED, requests: REQUESTS, concurrency: 8 });
    expect(summary.requests).toBe(REQUESTS);
    // Every category was exercised, and refused in more than one way.
    for (const count of Object.values(summary.byCategory)) expect(count).toBeGreaterThan(50);
    expect(summary.storedChecked).toBeGreaterThanOrEqual(8);
    expect(summary.problems.map((p) => `${p.problem} (×${p.count}) first: ${p.first}`)).toEqual([]);
  }, 600_000);
});
