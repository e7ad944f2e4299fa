-- Background jobs a user can poll, and the registry of trained model versions.
-- The queue itself (tasks, attempts, schedules) lives in the `underway` schema, created by the queue
-- library's own migrations at start-up; a `jobs` row is what the app and its users see of a task.

create table jobs (
    id               uuid primary key,
    kind             text not null check (kind in ('train', 'predict', 'refresh', 'backtest')),
    symbol           text not null,
    model            text,
    status           text not null default 'queued'
                     check (status in ('queued', 'running', 'done', 'failed')),
    progress         smallint not null default 0 check (progress between 0 and 100),
    step             text not null default 'queued',
    attempts         integer not null default 0 check (attempts >= 0),
    error            text,
    result           jsonb,
    idempotency_key  text not null,
    created_at       timestamptz not null default now(),
    started_at       timestamptz,
    finished_at      timestamptz
);
-- One active job per key: a second request for the same work joins the first.
create unique index jobs_active_idempotency_key on jobs (idempotency_key)
    where status in ('queued', 'running');
create index jobs_recent on jobs (created_at desc);
create index jobs_symbol on jobs (symbol, created_at desc);

create table model_versions (
    id               uuid primary key,
    symbol           text not null,
    model            text not null,
    version          integer not null check (version > 0),
    params           jsonb not null,
    data_first       date not null,
    -- The last bar the model saw: its data as-of.
    data_last        date not null,
    rows             integer not null check (rows > 0),
    -- Walk-forward metrics per horizon, keyed by horizon in trading days, in forecast-eval's keys.
    metrics          jsonb not null,
    eval_first       date not null,
    eval_last        date not null,
    eval_origins     integer not null check (eval_origins > 0),
    -- Mean MAE/naive over the horizons: the figure the promotion rule compares. Null for the naive
    -- model itself and whenever the ratio is undefined.
    score            double precision,
    artifact_key     text not null,
    artifact_sha256  text not null check (artifact_sha256 ~ '^[0-9a-f]{64}$'),
    artifact_bytes   bigint not null check (artifact_bytes > 0),
    status           text not null check (status in ('candidate', 'current', 'retired', 'rejected')),
    -- The latest re-evaluation of this version's model on newer data (a `backtest` job), if any.
    backtest         jsonb,
    job_id           uuid references jobs (id) on delete set null,
    created_at       timestamptz not null default now(),
    unique (symbol, model, version)
);
-- Exactly one serving version per (symbol, model).
create unique index model_versions_one_current on model_versions (symbol, model)
    where status = 'current';
