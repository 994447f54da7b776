-- Daily totals per item, per day: what the report service reads in every city. Refreshed on the
-- primary; the view's pages replicate like any table, so every replica serves the same totals.
-- The schemas come from the model (model/data/roles.py) as psql variables: `source_schema` holds the
-- order service's tables, `report_schema` the views; the recap runs as their owner's role.
CREATE SCHEMA IF NOT EXISTS :"report_schema";

CREATE MATERIALIZED VIEW IF NOT EXISTS :"report_schema".daily_item_totals AS
SELECT (o.created_at AT TIME ZONE 'Asia/Jakarta')::date AS day,
       i.item_id,
       sum(i.quantity) AS quantity,
       sum(i.quantity * i.unit_price) AS revenue,
       count(DISTINCT o.id) AS orders
FROM :"source_schema".orders o
JOIN :"source_schema".order_items i ON i.order_id = o.id
GROUP BY 1, 2
WITH NO DATA;

-- CONCURRENTLY needs a unique index, and keeps the view readable while it refreshes.
CREATE UNIQUE INDEX IF NOT EXISTS daily_item_totals_day_item ON :"report_schema".daily_item_totals (day, item_id);

-- A view created WITH NO DATA cannot be refreshed concurrently the first time.
SELECT format(CASE WHEN ispopulated
                   THEN 'REFRESH MATERIALIZED VIEW CONCURRENTLY %I.daily_item_totals'
                   ELSE 'REFRESH MATERIALIZED VIEW %I.daily_item_totals' END, schemaname)
FROM pg_matviews
WHERE schemaname = :'report_schema' AND matviewname = 'daily_item_totals' \gexec
