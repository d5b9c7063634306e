-- Closed partition hours in [first, last] that still have two or more loaded small
-- objects, or leftovers of an earlier compaction to clean; oldest first.
select partition_hour
from etl_manifest
where partition_hour between %(first)s and %(last)s
group by partition_hour
having
    count(*) filter (where status = 'loaded' and object_key like %(raw_pattern)s) >= 2
    or count(*) filter (where status = 'compacting') > 0
    or count(*) filter (where status = 'compacted' and deleted_at is null) > 0
order by partition_hour
