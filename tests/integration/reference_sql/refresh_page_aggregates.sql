-- Delete and recompute the page and page-transition aggregates of the dates in
-- finish_dates, from the page views and engagement events of the sessions that started
-- on those dates.
create temp table finish_page_events on commit drop as
select
    s.session_date,
    coalesce(s.device_type, '(unknown)') as device_type,
    coalesce(s.country, '(unknown)') as country,
    s.session_id,
    e.event_id,
    e.event_at,
    e.page_path,
    e.event_type = 'view' as is_page_view,
    e.engaged_ms
from fact_sessions as s
inner join fact_events as e on s.session_id = e.session_id
where
    s.session_date in (select fd.date_day from finish_dates as fd)
    and not s.is_bot
    and e.event_date in (
        select fd.date_day from finish_dates as fd
        union
        select fd.date_day + 1 from finish_dates as fd
    )
    and (
        (e.event_type = 'view' and e.product_id is null and e.impression_items is null)
        or e.event_type = 'engagement'
    );

delete from agg_page_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_page_daily
select
    p.session_date,
    p.device_type,
    p.country,
    p.page_path,
    sum(p.page_views),
    sum(p.sessions),
    sum(p.entrances),
    sum(p.exits),
    sum(p.bounces),
    sum(p.engaged_ms)
from (
    select
        session_date,
        device_type,
        country,
        page_path,
        count(*) filter (where is_page_view) as page_views,
        count(distinct session_id) filter (where is_page_view) as sessions,
        0 as entrances,
        0 as exits,
        0 as bounces,
        coalesce(sum(engaged_ms) filter (where not is_page_view), 0) as engaged_ms
    from finish_page_events
    group by 1, 2, 3, 4
    union all
    select
        s.session_date,
        coalesce(s.device_type, '(unknown)'),
        coalesce(s.country, '(unknown)'),
        s.landing_page,
        0,
        0,
        count(*),
        0,
        count(*) filter (where s.is_bounce),
        0
    from fact_sessions as s
    where
        s.session_date in (select fd.date_day from finish_dates as fd)
        and not s.is_bot and s.landing_page is not null
    group by 1, 2, 3, 4
    union all
    select
        s.session_date,
        coalesce(s.device_type, '(unknown)'),
        coalesce(s.country, '(unknown)'),
        s.exit_page,
        0,
        0,
        0,
        count(*),
        0,
        0
    from fact_sessions as s
    where
        s.session_date in (select fd.date_day from finish_dates as fd)
        and not s.is_bot and s.exit_page is not null
    group by 1, 2, 3, 4
) as p
group by 1, 2, 3, 4;

delete from agg_page_total_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_page_total_daily
select
    a.date_day,
    a.page_path,
    a.page_views,
    -- sessions viewing the page: exact over devices and countries, from the events
    coalesce(v.sessions, 0),
    a.entrances,
    a.exits,
    a.bounces,
    a.total_engaged_ms
from (
    select
        date_day,
        page_path,
        sum(page_views) as page_views,
        sum(entrances) as entrances,
        sum(exits) as exits,
        sum(bounces) as bounces,
        sum(total_engaged_ms) as total_engaged_ms
    from agg_page_daily
    where date_day in (select fd.date_day from finish_dates as fd)
    group by 1, 2
) as a
left join (
    select
        session_date,
        page_path,
        count(distinct session_id) as sessions
    from finish_page_events
    where is_page_view
    group by 1, 2
) as v on a.date_day = v.session_date and a.page_path = v.page_path;

delete from agg_page_transition_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_page_transition_daily
select
    session_date,
    device_type,
    country,
    page_path,
    coalesce(next_path, '(exit)'),
    count(*)
from (
    select
        session_date,
        device_type,
        country,
        page_path,
        lead(page_path) over (partition by session_id order by event_at, event_id) as next_path
    from finish_page_events
    where is_page_view
) as t
where next_path is distinct from page_path
group by 1, 2, 3, 4, 5;
