-- Devices a plugin finds at its vendor without managing them (corral:plugin@0.7.0
-- `discoveries`: the phones reading a mailbox through Exchange ActiveSync...). Each is a device
-- entry in state 'discovered' linked to the plugin like the devices it manages; the link keeps
-- what the vendor says of it (name and value pairs, JSON) and its last contact.
ALTER TABLE plugin_devices ADD COLUMN details_json TEXT;
ALTER TABLE plugin_devices ADD COLUMN last_seen_at BIGINT;
