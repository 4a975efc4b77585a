-- The command queue's index holds only the commands a poll may still get (pending, not_now),
-- in the order a poll takes them (priority, then age): claiming a device's next command reads
-- one index entry instead of sorting the device's whole history, and an answered command
-- leaves the index instead of moving inside it (issue 25's benchmark).
DROP INDEX apple_commands_queue;
CREATE INDEX apple_commands_open ON apple_commands (tenant_id, enrolment_id, priority DESC, created_at, id)
    WHERE status IN ('pending', 'not_now');
