-- The console's history page reads a tenant's history newest first, filtered by time, actor or
-- object type: by tenant and time.
CREATE INDEX history_at ON history (tenant_id, at);
