import 'server-only';
import { dbHandle } from '../db/client';
import { countScim } from '../metrics';

/** Directory ID → its kind (okta, entra, …), read once per process: the label of the SCIM metrics. */
const kinds = new Map<string, string>();

export async function countScimRequest(directoryId: string, method: string, status: number): Promise<void> {
  let kind = kinds.get(directoryId);
  if (!kind) {
    try {
      const [r] = await (await dbHandle()).queryPrepared<{ provider: string }>('select provider from directories where id = $1', [directoryId]);
      kind = r?.provider ?? 'unknown';
      if (r && kinds.size < 10_000) kinds.set(directoryId, kind);
    } catch {
      kind = 'unknown';
    }
  }
  countScim(kind, method, status);
}
