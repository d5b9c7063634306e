-- Filtered panels: with a device and country filter, the product and page panels read the
-- split tables, whose primary keys lead with the date and then the product/page, so a
-- week of rows was read whole and filtered (bench/dashboard.py at 10 M events:
-- product_least_viewed filtered 79 ms p50, 103 ms p95). These indexes lead with the
-- filter columns; `= any(array)` on them becomes one short range scan per value pair.

-- migrate:up

create index agg_product_daily_filter_idx on agg_product_daily (device_type, country, date_day);
create index agg_page_daily_filter_idx on agg_page_daily (device_type, country, date_day);

-- migrate:down

drop index agg_page_daily_filter_idx;
drop index agg_product_daily_filter_idx;
