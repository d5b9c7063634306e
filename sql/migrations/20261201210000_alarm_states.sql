-- Issue 12: the dashboard's Reliability module shows the CloudWatch alarm states. Each
-- ETL run reads them (DescribeAlarms, the stack's alarm name prefix) with its
-- reliability snapshot, so the dashboard host needs no AWS credentials.

-- migrate:up

create table etl_alarm_states (
    run_id uuid not null references etl_runs (run_id) on delete cascade,
    alarm_name text not null,
    state text not null,
    reason text,
    state_updated_at timestamptz,
    taken_at timestamptz not null default now(),
    primary key (run_id, alarm_name)
);
comment on table etl_alarm_states is 'One row per ETL run and CloudWatch alarm: its state (OK, ALARM, INSUFFICIENT_DATA), reason and when the state last changed, as DescribeAlarms reported during the run.';
create index etl_alarm_states_taken_idx on etl_alarm_states (taken_at desc);

alter table etl_reliability_snapshots add column alarms_error text;
comment on column etl_reliability_snapshots.alarms_error is 'Why the alarm states could not be read (NULL when they were).';

grant select, insert on etl_alarm_states to clickstream_etl;
grant select on etl_alarm_states to clickstream_reader;

-- migrate:down

alter table etl_reliability_snapshots drop column alarms_error;
drop table etl_alarm_states;
