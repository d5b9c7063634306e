-- Rollups of the two widest dashboard aggregates without the device and country keys,
-- for the default (unfiltered) view: agg_product_daily and agg_page_daily hold a row per
-- product/page, device type and country, so a week of them is tens of thousands of rows
-- to group; these hold one per product/page and day (bench/dashboard.py: the product and
-- page panels went over 100 ms p95 at 1 M events). Session counts are exact (computed
-- from the events, not summed from the split rows). The panel queries read these when
-- no device or country filter is set. Refreshed by the ETL with the other aggregates.

-- migrate:up

create table agg_product_total_daily (
    date_day date not null,
    product_id text not null,
    category text not null,
    impressions bigint not null,
    list_clicks bigint not null,
    views bigint not null,
    add_to_carts bigint not null,
    checkouts bigint not null,
    purchases bigint not null,
    units_sold bigint not null,
    revenue numeric not null,
    view_sessions bigint not null,
    cart_sessions bigint not null,
    checkout_sessions bigint not null,
    purchase_sessions bigint not null,
    primary key (date_day, product_id)
);
comment on table agg_product_total_daily is 'agg_product_daily without device type and country: one row per event date and product.';

create table agg_page_total_daily (
    date_day date not null,
    page_path text not null,
    page_views bigint not null,
    sessions bigint not null,
    entrances bigint not null,
    exits bigint not null,
    bounces bigint not null,
    total_engaged_ms bigint not null,
    primary key (date_day, page_path)
);
comment on table agg_page_total_daily is 'agg_page_daily without device type and country: one row per session start date and page path.';

-- The product panels' split by device, country or category reads the category funnel
-- table (date, device, country, category: a few thousand rows a month), so it carries
-- the event counts too. Existing rows get them at the refresh of their dates.
alter table agg_category_funnel_daily
    add column impressions bigint not null default 0,
    add column list_clicks bigint not null default 0,
    add column views bigint not null default 0,
    add column add_to_carts bigint not null default 0,
    add column checkouts bigint not null default 0,
    add column purchases bigint not null default 0;
insert into etl_dirty_dates (date_day)
select distinct date_day from agg_category_funnel_daily
on conflict do nothing;

-- "Next pages after X" filters on from_path first.
create index agg_page_transition_from_idx on agg_page_transition_daily (from_path, date_day);

-- Fill both from the split tables once (session counts summed: exact again after the
-- next refresh of each date, which recomputes them from the events).
insert into agg_product_total_daily
select date_day, product_id, max(category), sum(impressions), sum(list_clicks), sum(views),
    sum(add_to_carts), sum(checkouts), sum(purchases), sum(units_sold), sum(revenue),
    sum(view_sessions), sum(cart_sessions), sum(checkout_sessions), sum(purchase_sessions)
from agg_product_daily
group by date_day, product_id;
insert into agg_page_total_daily
select date_day, page_path, sum(page_views), sum(sessions), sum(entrances), sum(exits),
    sum(bounces), sum(total_engaged_ms)
from agg_page_daily
group by date_day, page_path;

grant select on agg_product_total_daily, agg_page_total_daily to clickstream_reader;
grant select, insert, update, delete on agg_product_total_daily, agg_page_total_daily
    to clickstream_etl;

-- migrate:down

drop index agg_page_transition_from_idx;
alter table agg_category_funnel_daily
    drop column impressions, drop column list_clicks, drop column views,
    drop column add_to_carts, drop column checkouts, drop column purchases;
drop table agg_page_total_daily;
drop table agg_product_total_daily;
