-- Tickers with bundled or fetched daily history, user accounts and their watchlists.
-- Sessions live in the `tower_sessions` schema, created by the session store's own migration.

create table tickers (
    symbol      text primary key check (symbol ~ '^[A-Z0-9.^-]{1,10}$'),
    name        text not null,
    exchange    text,
    currency    text not null default 'USD',
    kind        text not null default 'stock' check (kind in ('stock', 'index', 'etf')),
    source      text not null,
    created_at  timestamptz not null default now()
);

create table daily_bars (
    symbol  text not null references tickers (symbol) on delete cascade,
    date    date not null,
    open    double precision not null check (open > 0),
    high    double precision not null check (high > 0),
    low     double precision not null check (low > 0),
    close   double precision not null check (close > 0),
    volume  bigint not null check (volume >= 0),
    primary key (symbol, date)
);

create table users (
    id             uuid primary key,
    username       text not null,
    password_hash  text not null,
    created_at     timestamptz not null default now()
);
-- Usernames are unique regardless of case: "Alice" and "alice" are one account.
create unique index users_username_key on users (lower(username));

create table watchlist (
    user_id   uuid not null references users (id) on delete cascade,
    symbol    text not null references tickers (symbol) on delete cascade,
    added_at  timestamptz not null default now(),
    primary key (user_id, symbol)
);
