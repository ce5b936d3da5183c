import 'server-only';
import { log } from '../log';
import { sso } from './jackson';

/** Removes the SSO library's records of connections the portal no longer has (after a delete commits). */
export async function removeLibraryConnections(clientIds: string[]): Promise<void> {
  if (!clientIds.length) return;
  const { jackson } = await sso();
  for (const clientID of clientIds) {
    try {
      const [rec] = await jackson.connectionAPIController.getConnections({ clientID } as never);
      if (rec) await jackson.connectionAPIController.deleteConnections({ clientID, clientSecret: rec.clientSecret } as never);
    } catch (err) {
      log('error', 'could not remove an SSO library connection record', { clientID, err });
    }
  }
}
