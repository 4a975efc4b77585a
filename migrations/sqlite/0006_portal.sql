-- Portal (SPEC B4, I1): when a PIN was used (not merely revoked), so that "require a registration
-- PIN" asks for one until the user has registered with it once, not at every sign-in.
ALTER TABLE registration_pins ADD COLUMN used_at INTEGER;
CREATE INDEX portal_sessions_expiry ON portal_sessions (tenant_id, expires_at);
CREATE INDEX device_registration_tokens_expiry ON device_registration_tokens (tenant_id, expires_at);
