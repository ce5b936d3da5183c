/**
 * Verifies audit hash chains: `npm run audit:verify -- [tenantId…]`.
 * With no tenant id, every chain there is (every tenant that ever had an event, deleted ones
 * included, and the operator-wide chain `operator`). Uses DATABASE_URL / DATA_DIR like the portal.
 * A chain pruned by audit retention is checked from its first kept event, which must be the one
 * an `audit.pruned` event of the chain names (lib/audit/verify.ts); rows deleted any other way break it.
 * Prints one line per chain; exits 1 when any chain is broken, 2 when it could not check.
 * (Against embedded storage, stop the portal first: one PGlite directory, one process; while it runs, this is refused.)
 */
import { closeDb, dbHandle } from '../lib/db/client';
import { listChainKeys, verifyTenantChain } from '../lib/audit/verify';

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.some((a) => a === '-h' || a === '--help')) {
    console.log('usage: npm run audit:verify -- [tenantId…]   (no id: every chain)');
    return 0;
  }
  const json = args.includes('--json');
  const ids = args.filter((a) => !a.startsWith('--'));
  const h = await dbHandle();
  const keys = ids.length ? ids : await listChainKeys();
  if (!json) console.error(`verifying ${keys.length} chain(s) on ${h.kind === 'postgres' ? 'PostgreSQL' : 'embedded storage'}`);
  let broken = 0;
  for (const key of keys) {
    const t0 = Date.now();
    const r = await verifyTenantChain(key);
    if (!r.intact) broken++;
    if (json) console.log(JSON.stringify({ chain: key, ...r }));
    else
      console.log(
        r.intact
          ? `ok      ${key}  ${r.checked} events  (${Date.now() - t0} ms)`
          : `BROKEN  ${key}  at ${r.firstBrokenId ?? '(end of chain)'}: ${r.reason ?? ''}  (${r.checked} checked)`,
      );
  }
  if (!json) console.error(broken ? `${broken} broken chain(s)` : 'all chains intact');
  return broken ? 1 : 0;
}

main()
  .then(async (code) => {
    await closeDb().catch(() => {});
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(`audit:verify failed: ${(err as Error)?.message ?? err}`);
    await closeDb().catch(() => {});
    process.exit(2);
  });
