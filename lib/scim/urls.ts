import { env } from '../env';

/** Path of the SCIM routes (app/api/scim/v2/[directoryId]/[[...path]]). */
export const SCIM_PATH = '/api/scim/v2';

/** A directory's SCIM base URL (the contract's `scimUrl`): IdPs call `{scimUrl}/Users` and `{scimUrl}/Groups`. */
export const scimUrl = (directoryId: string) => `${env().PUBLIC_URL}${SCIM_PATH}/${directoryId}`;
