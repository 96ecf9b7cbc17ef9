// The one contract every Provisioner meets, run by each provider's provisioner.peer.test.ts against its
// peer (moto for AWS; our stateful fakes behind `prism proxy --errors` for DigitalOcean and Hetzner). What
// the provider's own state says (firewall rules, request log) comes from the peer, never from our code.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ProviderError } from './provider-error.ts';
import { isProviderError } from './provider-error.ts';
import type { Provisioner, Vm, VmRef, VmSpec, VmStatus } from './provisioning.ts';
import { AGENT_PORT } from './provisioning.ts';

export type InboundRule = { protocol: string; ports: string; sources: string[] };

export type ContractPeer = {
  provisioner: Provisioner;
  /** A spec this provider accepts (existing region, size and image) for `instanceId`. */
  spec(instanceId: string): VmSpec;
  /** The inbound rules in force for this VM, read from the provider's state. */
  inboundRules(vm: Vm): Promise<InboundRule[]>;
  /** What of ours still exists for this instance (VMs not gone, firewalls), as readable names. */
  leftovers(instanceId: string): Promise<string[]>;
  /** Requests that deleted by tag or label (or any selector instead of an id), from the peer's log. */
  deletesBySelector(): Promise<string[]>;
  /** A VM in the same account that we did not create (no tags/labels of ours). */
  createForeignVm(): Promise<VmRef>;
  /** A VM carrying our marker whose instance tag/label is not a UUID (hand-made, not by us). */
  createMalformedVm(): Promise<VmRef>;
  /** A provisioner whose endpoint refuses connections. */
  unreachable(): Provisioner;
  /** Firewalls a crash or the user left; absent where the peer cannot plant them (those tests not registered). */
  strayFirewalls?: {
    /** The next VM create fails with a 5xx once our firewall exists: a create that dies between the two. */
    failNextVmCreate(): void;
    /**
     * Firewalls we did not make that a careless match would take for this instance's (its name, or its
     * tag/label among others); returns their ids. They must outlive everything we do.
     */
    plantForeign(instanceId: string): Promise<string[]>;
    /** Which of these firewall ids exist in the peer's state. */
    existing(ids: readonly string[]): Promise<string[]>;
  };
  /** Fault injection; absent where the peer cannot inject (moto). */
  faults?: {
    rateLimitCreate(retryAfterSeconds: number): void;
    serverErrorsOnGet(times: number): void;
    loseCreateResponse(): void;
  };
  stop(): Promise<void>;
};

// Every wait is bounded in attempts and time; the peers advance state on reads, so a short pause suffices.
const WAIT_ATTEMPTS = 40;
const WAIT_INTERVAL_MS = 50;
const ALLOWED = ['198.51.100.7', '2001:db8:c1a0::/48'];
const ALLOWED_CIDRS = ['198.51.100.7/32', '2001:db8:c1a0::/48'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function waitForStatus(p: Provisioner, ref: VmRef, want: VmStatus): Promise<Vm> {
  let vm: Vm | undefined;
  for (let attempt = 0; attempt < WAIT_ATTEMPTS; attempt++) {
    vm = await p.get(ref);
    if (vm.status === want) return vm;
    await new Promise((resolve) => setTimeout(resolve, WAIT_INTERVAL_MS));
  }
  assert.fail(`VM ${ref.providerId} not ${want} after ${WAIT_ATTEMPTS} polls (last: ${vm?.status})`);
}

async function destroyUntilDone(p: Provisioner, ref: VmRef): Promise<void> {
  for (let attempt = 0; attempt < WAIT_ATTEMPTS; attempt++) {
    if ((await p.destroy(ref)).done) return;
    await new Promise((resolve) => setTimeout(resolve, WAIT_INTERVAL_MS));
  }
  assert.fail(`destroy of ${ref.providerId} not done after ${WAIT_ATTEMPTS} calls`);
}

/** An `assert.rejects` validator: the error is a ProviderError and passes `check`. */
function isError(check: (err: ProviderError) => void): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isProviderError(err), `not a ProviderError: ${String(err)}`);
    check(err);
    return true;
  };
}

export function provisionerContract(
  name: string,
  /**
   * `faults`: whether the peer can inject faults (moto cannot); `strayFirewalls`: whether it can leave and
   * plant firewalls (`ContractPeer.strayFirewalls`). Without them those tests are not registered.
   */
  options: {
    skip: string | false;
    faults: boolean;
    strayFirewalls?: boolean;
    start: () => Promise<ContractPeer>;
  },
): void {
  describe(`Provisioner contract: ${name}`, { skip: options.skip }, () => {
    let peer: ContractPeer;
    let p: Provisioner;
    before(async () => {
      peer = await options.start();
      p = peer.provisioner;
    });
    after(() => peer?.stop());

    const newSpec = (): VmSpec => ({ ...peer.spec(crypto.randomUUID()), allowedSources: ALLOWED });

    test('regions and sizes: every size has monthly and hourly prices and the regions it runs in', async () => {
      const spec = newSpec();
      const regions = await p.listRegions();
      assert.ok(
        regions.some((r) => r.slug === spec.region && r.available),
        `${spec.region} is offered`,
      );
      const sizes = await p.listSizes();
      assert.ok(
        sizes.some((s) => s.slug === spec.size),
        `${spec.size} is offered`,
      );
      for (const s of sizes) {
        assert.ok(s.priceMonthly > 0 && s.priceHourly > 0, `${s.slug} has prices`);
        assert.ok(s.priceMonthly > s.priceHourly * 600, `${s.slug}: monthly is about 730 hours`);
        assert.ok(s.vcpus > 0 && s.memoryMb > 0 && s.regions.length > 0, `${s.slug} is described`);
      }
    });

    describe('one VM from create to destroy', () => {
      let spec: VmSpec;
      let vm: Vm;
      before(() => {
        spec = newSpec();
      });

      test('create answers at once with the provider id; get follows it until running', async () => {
        const created = await p.create(spec);
        assert.ok(created.providerId);
        assert.ok(['creating', 'running'].includes(created.status), created.status);
        vm = await waitForStatus(p, created, 'running');
        assert.equal(vm.providerId, created.providerId);
        assert.equal(vm.region, spec.region);
        assert.equal(vm.size, spec.size);
        assert.ok(vm.publicIpv4, 'a running VM has a public IPv4 address');
      });

      test('find by our instance tag returns exactly it; create again returns it too', async () => {
        assert.deepEqual(
          (await p.findByInstance(spec)).map((v) => v.providerId),
          [vm.providerId],
        );
        assert.deepEqual(await p.findByInstance({ ...spec, instanceId: crypto.randomUUID() }), []);
        assert.equal((await p.create(spec)).providerId, vm.providerId);
        assert.equal((await p.findByInstance(spec)).length, 1);
      });

      test(`the firewall admits only the configured sources, only on port ${AGENT_PORT}`, async () => {
        const rules = await peer.inboundRules(vm);
        assert.deepEqual(
          rules.map((r) => ({ ...r, sources: [...r.sources].sort() })),
          [{ protocol: 'tcp', ports: String(AGENT_PORT), sources: [...ALLOWED_CIDRS].sort() }],
        );
      });

      test('power off, power on and reboot', async () => {
        await p.powerOff(vm);
        await waitForStatus(p, vm, 'off');
        await p.powerOn(vm);
        await waitForStatus(p, vm, 'running');
        await p.reboot(vm);
        await waitForStatus(p, vm, 'running');
      });

      test('destroy removes the VM and its firewall; get says gone; destroying again is fine', async () => {
        await destroyUntilDone(p, vm);
        assert.deepEqual(await peer.leftovers(spec.instanceId), []);
        assert.equal((await p.get(vm)).status, 'gone');
        assert.deepEqual(await p.destroy(vm), { done: true });
        assert.deepEqual(await p.findByInstance(spec), []);
        await assert.rejects(
          p.powerOn(vm),
          isError((e) => assert.equal(e.retryable, false)),
        );
      });
    });

    test('a VM we did not tag is never read, powered or destroyed', async () => {
      const foreign = await peer.createForeignVm();
      const refused = isError((e) => {
        assert.equal(e.code, 'not_ours');
        assert.equal(e.retryable, false);
      });
      await assert.rejects(p.get(foreign), refused);
      await assert.rejects(p.powerOff(foreign), refused);
      await assert.rejects(p.destroy(foreign), refused);
    });

    test('listOurs: each VM of ours with its instance id and age, never a foreign or malformed one', async () => {
      const spec = newSpec();
      const vm = await p.create(spec);
      const foreign = await peer.createForeignVm();
      const malformed = await peer.createMalformedVm();
      const listed = (await p.listOurs([spec.region])).vms;
      const mine = listed.filter((v) => v.providerId === vm.providerId);
      assert.equal(mine.length, 1, 'the VM we made is listed once');
      assert.equal(mine[0]?.instanceId, spec.instanceId);
      assert.equal(mine[0]?.region, spec.region);
      assert.ok(mine[0]?.createdAt && !Number.isNaN(mine[0].createdAt.getTime()), 'its creation time');
      const ids = listed.map((v) => v.providerId);
      assert.ok(!ids.includes(foreign.providerId), 'a VM without our tags is never listed');
      assert.ok(!ids.includes(malformed.providerId), 'a malformed instance id is never listed');
      for (const v of listed) assert.match(v.instanceId, UUID);
      await destroyUntilDone(p, vm);
      const after = await p.listOurs([spec.region]);
      assert.ok(!after.vms.some((v) => v.providerId === vm.providerId), 'a destroyed VM is not listed');
      assert.ok(!after.firewallsWithoutVm.some((f) => f.instanceId === spec.instanceId), 'nor its firewall');
    });

    test('a firewall a refused create left behind is listed; destroyFirewalls removes it', async () => {
      const spec = { ...newSpec(), size: 'no-such-size' };
      await assert.rejects(p.create(spec));
      const left = await peer.leftovers(spec.instanceId);
      const stray = (await p.listOurs([spec.region])).firewallsWithoutVm.filter(
        (f) => f.instanceId === spec.instanceId,
      );
      // DigitalOcean deletes the firewall of a refused create itself; Hetzner and AWS leave it.
      assert.equal(stray.length > 0, left.length > 0, `every leftover is listed: ${left.join(', ')}`);
      for (const scope of stray) {
        for (let attempt = 0; !(await p.destroyFirewalls(scope)).done; attempt++) {
          assert.ok(attempt < WAIT_ATTEMPTS, 'destroyFirewalls finishes');
          await new Promise((resolve) => setTimeout(resolve, WAIT_INTERVAL_MS));
        }
      }
      assert.deepEqual(await peer.leftovers(spec.instanceId), []);
    });

    test('a request the provider refuses is a ProviderError that is not retryable', async () => {
      await assert.rejects(
        p.create({ ...newSpec(), size: 'no-such-size' }),
        isError((e) => {
          assert.equal(e.provider, p.provider);
          assert.equal(e.retryable, false);
          assert.ok(e.operation);
        }),
      );
    });

    test('an unreachable provider is a retryable ProviderError', async () => {
      await assert.rejects(
        peer.unreachable().listRegions(),
        isError((e) => assert.equal(e.retryable, true)),
      );
    });

    if (options.strayFirewalls)
      describe('#5: a firewall whose VM never came', () => {
        const leaveFirewallWithoutVm = async (spec: VmSpec) => {
          assert.ok(peer.strayFirewalls, 'the peer promised stray firewalls');
          peer.strayFirewalls.failNextVmCreate();
          await assert.rejects(
            p.create(spec),
            isError((e) => assert.equal(e.retryable, true)),
          );
          assert.deepEqual(await p.findByInstance(spec), [], 'no VM');
          assert.notDeepEqual(await peer.leftovers(spec.instanceId), [], 'its firewall stays');
        };

        test('is listed and deleted by destroyFirewalls; foreign look-alikes are never touched', async () => {
          assert.ok(peer.strayFirewalls, 'the peer promised stray firewalls');
          const spec = newSpec();
          await leaveFirewallWithoutVm(spec);
          const foreign = await peer.strayFirewalls.plantForeign(spec.instanceId);
          const found = await p.listOurs([spec.region]);
          assert.deepEqual(
            found.firewallsWithoutVm.filter((f) => f.instanceId === spec.instanceId).length,
            1,
            'listed once',
          );
          for (const f of found.firewallsWithoutVm) assert.match(f.instanceId, UUID);
          for (let attempt = 0; !(await p.destroyFirewalls(spec)).done; attempt++) {
            assert.ok(attempt < WAIT_ATTEMPTS, 'destroyFirewalls finishes');
            await new Promise((resolve) => setTimeout(resolve, WAIT_INTERVAL_MS));
          }
          assert.deepEqual(await peer.leftovers(spec.instanceId), []);
          assert.deepEqual(await peer.strayFirewalls.existing(foreign), foreign, 'foreign firewalls stay');
          assert.deepEqual(await p.destroyFirewalls(spec), { done: true }, 'nothing left is success');
          const after = await p.listOurs([spec.region]);
          assert.ok(
            !after.firewallsWithoutVm.some((f) => f.instanceId === spec.instanceId),
            'no longer listed',
          );
        });

        test('a retried create uses that firewall, not a second one; destroy leaves nothing', async () => {
          const spec = newSpec();
          await leaveFirewallWithoutVm(spec);
          const vm = await p.create(spec);
          // A second firewall of ours would show up as the same rule twice.
          assert.deepEqual(
            (await peer.inboundRules(vm)).map((r) => ({ ...r, sources: [...r.sources].sort() })),
            [{ protocol: 'tcp', ports: String(AGENT_PORT), sources: [...ALLOWED_CIDRS].sort() }],
          );
          await destroyUntilDone(p, vm);
          assert.deepEqual(await peer.leftovers(spec.instanceId), []);
        });
      });

    if (options.faults)
      describe('injected faults', () => {
        test('429 with Retry-After: retryable, carries the delay, creates no VM; the retry leaks nothing', async () => {
          assert.ok(peer.faults, 'the peer promised fault injection');
          const spec = newSpec();
          peer.faults.rateLimitCreate(7);
          await assert.rejects(
            p.create(spec),
            isError((e) => {
              assert.equal(e.status, 429);
              assert.equal(e.retryable, true);
              assert.equal(e.retryAfterSeconds, 7);
            }),
          );
          assert.deepEqual(await p.findByInstance(spec), [], 'no VM was created');
          // The retry the workflow makes after the delay succeeds, and destroy then leaves nothing behind.
          await destroyUntilDone(p, await p.create(spec));
          assert.deepEqual(await peer.leftovers(spec.instanceId), []);
        });

        test('a burst of 5xx is retryable each time, then the call succeeds', async () => {
          assert.ok(peer.faults, 'the peer promised fault injection');
          const vm = await p.create(newSpec());
          peer.faults.serverErrorsOnGet(3);
          for (let i = 0; i < 3; i++) {
            await assert.rejects(
              p.get(vm),
              isError((e) => assert.ok(e.retryable && (e.status ?? 0) >= 500)),
            );
          }
          assert.equal((await p.get(vm)).providerId, vm.providerId);
          await destroyUntilDone(p, vm);
        });

        test('a lost create response: retryable error, the look-up finds the VM, create again returns it', async () => {
          assert.ok(peer.faults, 'the peer promised fault injection');
          const spec = newSpec();
          peer.faults.loseCreateResponse();
          await assert.rejects(
            p.create(spec),
            isError((e) => assert.equal(e.retryable, true)),
          );
          const found = await p.findByInstance(spec);
          assert.equal(found.length, 1, 'the VM was created although the answer was lost');
          assert.equal((await p.create(spec)).providerId, found[0]?.providerId);
          assert.equal((await p.findByInstance(spec)).length, 1, 'no second VM');
          await destroyUntilDone(p, found[0] as Vm);
          assert.deepEqual(await peer.leftovers(spec.instanceId), []);
        });
      });

    test('we never deleted anything by tag or label', async () => {
      assert.deepEqual(await peer.deletesBySelector(), []);
    });
  });
}
