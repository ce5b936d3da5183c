// The SAML test IdP lives with the demo IdP it also powers (lib/demo); tests import it from here.
export * from '../../lib/demo/saml-idp';
