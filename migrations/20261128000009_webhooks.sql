-- Per-user webhooks, the deliveries made to them and every attempt of each (the delivery log).

create table webhooks (
    id                    uuid primary key,
    user_id               uuid not null references users (id) on delete cascade,
    url                   text not null check (length(url) <= 2048),
    -- Event kinds sent: bars, predictions, job, alert, circuit.
    kinds                 text[] not null check (cardinality(kinds) between 1 and 5),
    -- The HMAC-SHA256 key deliveries are signed with; shown to the owner once, at creation.
    secret                text not null,
    active                boolean not null default true,
    -- Why it was switched off (repeated failure), for the owner to read.
    disabled_reason       text,
    consecutive_failures  integer not null default 0,
    created_at            timestamptz not null default now()
);
create index webhooks_by_user on webhooks (user_id, created_at);
create index webhooks_active on webhooks (active) where active;

create table webhook_deliveries (
    id            bigserial primary key,
    webhook_id    uuid not null references webhooks (id) on delete cascade,
    -- The event's id on the bus: one delivery per event and webhook, whichever process sees the
    -- event first makes it.
    event_id      text not null,
    kind          text not null,
    body          text not null,
    status        text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts      integer not null default 0,
    created_at    timestamptz not null default now(),
    finished_at   timestamptz,
    unique (webhook_id, event_id)
);
create index webhook_deliveries_by_hook on webhook_deliveries (webhook_id, id desc);

create table webhook_attempts (
    delivery_id   bigint not null references webhook_deliveries (id) on delete cascade,
    attempt       integer not null,
    at            timestamptz not null default now(),
    -- The receiver's status code; null when no answer came (refused, timed out, not allowed).
    status_code   integer,
    latency_ms    integer not null,
    error         text,
    primary key (delivery_id, attempt)
);
