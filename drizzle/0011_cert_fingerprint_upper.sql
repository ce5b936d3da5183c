-- IdP certificate fingerprints as Node's X509Certificate.fingerprint256 and openssl print them:
-- upper-case hex pairs separated by colons (they were stored lower-case).
UPDATE "connections" SET "idp" = jsonb_set("idp", '{certificates}', (
  SELECT coalesce(jsonb_agg(c || jsonb_build_object('fingerprintSha256', upper(c->>'fingerprintSha256')) ORDER BY n), '[]'::jsonb)
  FROM jsonb_array_elements("idp"->'certificates') WITH ORDINALITY AS t(c, n)
))
WHERE jsonb_typeof("idp"->'certificates') = 'array';
