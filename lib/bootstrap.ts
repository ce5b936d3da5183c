import { SYSTEM } from './audit/types';
import { dbHandle } from './db/client';
import { ensureOperator } from './dal/operators';
import { env } from './env';

/**
 * What start-up does before serving: open the database (applying pending migrations) and create
 * the operator named by OPERATOR_EMAIL/OPERATOR_PASSWORD if it does not exist yet.
 */
export async function bootstrap(): Promise<void> {
  const e = env();
  await dbHandle();
  if (e.OPERATOR_EMAIL && e.OPERATOR_PASSWORD) await ensureOperator(SYSTEM, e.OPERATOR_EMAIL, e.OPERATOR_PASSWORD);
}
