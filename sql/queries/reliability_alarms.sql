-- Alarms and alerts: the CloudWatch alarms as the newest ETL run that read them saw them
-- (ALARM first), then the business alerts firing now (business_alert_state).
select kind, name, state, reason, since
from (
    select
        'CloudWatch alarm' as kind,
        a.alarm_name as name,
        a.state,
        a.reason,
        a.state_updated_at as since,
        case a.state when 'ALARM' then 0 when 'INSUFFICIENT_DATA' then 1 else 2 end as rank
    from etl_alarm_states as a
    where a.run_id = (
        select run_id from etl_alarm_states order by taken_at desc, run_id limit 1
    )
    union all
    select
        'Business alert' as kind,
        b.rule as name,
        'ALARM' as state,
        b.last_message as reason,
        b.since,
        0 as rank
    from business_alert_state as b
    where b.firing
) as alarms
order by rank, kind, name
