-- Registrations at provisioning services (corral:plugin@0.6.0 `registrations`): the channel a
-- device is registered at (zero-touch, knox-mobile-enrollment...) and the configuration it will
-- be provisioned with (the vendor's id and the name administrators know it by), so that the
-- plugins deciding which service provisions a device (`provisioning`) get them as facts.
-- 0.5.0's registrations have no channel; their configuration's title is its id.
ALTER TABLE plugin_devices ADD COLUMN channel TEXT;
ALTER TABLE plugin_devices ADD COLUMN configuration_id TEXT;
ALTER TABLE plugin_devices ADD COLUMN configuration_title TEXT;
ALTER TABLE plugin_devices ADD COLUMN registered_at BIGINT;
