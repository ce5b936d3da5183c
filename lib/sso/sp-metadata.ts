import 'server-only';
import { sso } from './jackson';
import { sp } from './sp';

/** The portal's SAML SP metadata: its entity ID and ACS URL (HTTP-POST), from the SSO library's SP config. */
export async function spMetadataXml(): Promise<string> {
  const { jackson } = await sso();
  const s = sp();
  return jackson.spConfig.toXMLMetadata(false, s.entityId, s.acsUrl);
}
