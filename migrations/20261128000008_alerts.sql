-- Per-user alert rules and what they fired (the notifications).

create table alerts (
    id             uuid primary key,
    user_id        uuid not null references users (id) on delete cascade,
    symbol         text not null references tickers (symbol) on delete cascade,
    rule           text not null check (rule in ('price_above', 'price_below')),
    level          double precision not null check (level > 0 and level < 10000000),
    -- Hours of quiet after firing; null: fire once, then stop.
    repeat_hours   integer check (repeat_hours between 1 and 720),
    active         boolean not null default true,
    created_at     timestamptz not null default now(),
    last_fired_at  timestamptz
);
create index alerts_by_symbol on alerts (symbol) where active;
create index alerts_by_user on alerts (user_id, created_at);

create table alert_firings (
    id              bigserial primary key,
    alert_id        uuid not null references alerts (id) on delete cascade,
    user_id         uuid not null references users (id) on delete cascade,
    symbol          text not null,
    -- The session whose close fired it: one firing per rule and session, whichever process
    -- evaluates it first.
    bar_date        date not null,
    close           double precision not null,
    previous_close  double precision not null,
    level           double precision not null,
    message         text not null,
    fired_at        timestamptz not null default now(),
    read_at         timestamptz,
    unique (alert_id, bar_date)
);
create index alert_firings_by_user on alert_firings (user_id, id desc);
create index alert_firings_unread on alert_firings (user_id) where read_at is null;
