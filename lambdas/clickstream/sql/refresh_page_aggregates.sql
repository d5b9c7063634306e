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
    -- A session has one device and country: the sessions viewing a page in a group are
    -- its (session, page) rows with a view, counted without a distinct sort.
    select
        session_date,
        device_type,
        country,
        page_path,
        sum(page_views) as page_views,
        count(*) filter (where page_views > 0) as sessions,
        0 as entrances,
        0 as exits,
        0 as bounces,
        coalesce(sum(engaged_ms), 0) as engaged_ms
    from (
        select
            session_id,
            session_date,
            device_type,
            country,
            page_path,
            count(*) filter (where is_page_view) as page_views,
            sum(engaged_ms) filter (where not is_page_view) as engaged_ms
        from finish_page_events
        group by 1, 2, 3, 4, 5
    ) as per_session_page
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

-- The rollup over devices and countries: exact, sessions included, since every session
-- is counted in exactly one device and country of agg_page_daily.
delete from agg_page_total_daily
where date_day in (select fd.date_day from finish_dates as fd);
insert into agg_page_total_daily
select
    date_day,
    page_path,
    sum(page_views),
    sum(sessions),
    sum(entrances),
    sum(exits),
    sum(bounces),
    sum(total_engaged_ms)
from agg_page_daily
where date_day in (select fd.date_day from finish_dates as fd)
group by 1, 2;

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
