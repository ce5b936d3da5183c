import 'server-only';
import { log } from '../log';
import { sso } from './jackson';
import { libraryRecordSettled } from './jackson-store';

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

/**
 * The library's connection record `clientId` when the portal has no connection for it: a create in
 * progress writes its portal row moments after the library's record, so a record unchanged for a
 * minute is what a delete or create that failed halfway left behind, and is removed. Returns whether
 * no record is left (none there, or removed); false for one that may be a create in progress.
 */
export async function removeLeftLibraryConnection(clientId: string): Promise<boolean> {
  const { jackson } = await sso();
  const [rec] = (await jackson.connectionAPIController.getConnections({ clientID: clientId } as never)) as unknown[];
  if (!rec) return true;
  if (!(await libraryRecordSettled('saml:config', clientId, 60))) return false;
  log('warn', 'removing an SSO library connection record that has no portal connection', { clientId });
  await removeLibraryConnections([clientId]);
  const [still] = (await jackson.connectionAPIController.getConnections({ clientID: clientId } as never)) as unknown[];
  return !still;
}
