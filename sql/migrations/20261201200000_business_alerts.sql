-- Issue 12: business alerts after each ETL run (conversion, purchases, traffic and
-- revenue against last week). One row per rule remembers whether it is firing, so a
-- condition that persists is announced once, and its end once.

-- migrate:up

create table business_alert_state (
    rule text primary key,
    firing boolean not null,
    since timestamptz not null,
    last_value numeric,
    last_message text not null,
    updated_at timestamptz not null default now()
);
comment on table business_alert_state is 'One row per business alert rule: firing or not since when, with the last value and message published.';

grant select, insert, update on business_alert_state to clickstream_etl;
grant select on business_alert_state to clickstream_reader;

-- migrate:down

drop table business_alert_state;
