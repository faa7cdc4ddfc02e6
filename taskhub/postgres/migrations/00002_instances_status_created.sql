-- The management API lists the instances of one status newest first:
--   WHERE RuntimeStatus = $1 [AND CreatedTime >= … AND CreatedTime <= …]
--   ORDER BY CreatedTime DESC, InstanceID DESC LIMIT n
-- (several statuses: one such SELECT per status, merged). With only the
-- single-column indexes, a status that few instances have walks the
-- CreatedTime index, or all of that status's rows, and sorts them. This index
-- holds that very order within each status, InstanceID included, so a page is
-- read backwards straight off it and the scan stops after n rows.
--
-- It starts with RuntimeStatus, so it also answers everything the index on
-- RuntimeStatus alone did: that one goes, and Instances, updated at every
-- step, keeps the number of indexes it had. The build blocks writes to
-- Instances while it runs (0.1 s for 50,000 instances).

-- +goose Up
CREATE INDEX IX_Instances_RuntimeStatus_CreatedTime_InstanceID
    ON Instances (RuntimeStatus, CreatedTime, InstanceID);
DROP INDEX IX_Instances_RuntimeStatus;

-- +goose Down
CREATE INDEX IX_Instances_RuntimeStatus ON Instances (RuntimeStatus);
DROP INDEX IX_Instances_RuntimeStatus_CreatedTime_InstanceID;
