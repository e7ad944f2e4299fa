-- Market data kept in Postgres, the source of truth: ticker metadata, raw daily bars with where they
-- came from, corporate actions and the adjusted series derived from them, intraday bars, news,
-- company profiles, and a log of every provider call the ingester makes.

alter table tickers
    add column sector      text,
    add column industry    text,
    add column active      boolean not null default true,
    add column updated_at  timestamptz not null default now();

-- Bars loaded before this migration came from the bundled series: `source` says so.
alter table daily_bars
    add column source      text not null default 'bundled',
    add column fetched_at  timestamptz not null default now();

-- Splits and cash dividends. `value` is the split ratio (new shares per old share: 4 for a 4-for-1
-- split) or the cash amount per share, depending on `kind`.
create table corporate_actions (
    symbol      text not null references tickers (symbol) on delete cascade,
    ex_date     date not null,
    kind        text not null check (kind in ('split', 'dividend')),
    value       double precision not null check (value > 0),
    source      text not null,
    recorded_at timestamptz not null default now(),
    primary key (symbol, ex_date, kind)
);

-- The factor each action applies to every price strictly before its ex-date (CRSP / Yahoo method):
-- a split of ratio r multiplies earlier prices by 1/r; a dividend D by 1 - D / close, the raw close
-- of the last bar before the ex-date. A dividend with no earlier bar, or one at least as large as
-- that close (a data error), adjusts nothing rather than zeroing or flipping the history.
create view adjustment_factors as
select a.symbol,
       a.ex_date,
       a.kind,
       case
           when a.kind = 'split' then 1.0 / a.value
           when prev.close is not null and a.value < prev.close then 1.0 - a.value / prev.close
           else 1.0
       end as price_factor,
       case when a.kind = 'split' then a.value else 1.0 end as volume_factor
from corporate_actions a
left join lateral (
    select b.close from daily_bars b
    where b.symbol = a.symbol and b.date < a.ex_date
    order by b.date desc
    limit 1
) prev on true;

-- Split- and dividend-adjusted bars of one symbol, derived on every read: recording an action later
-- re-derives the whole history at once. Each bar is scaled by the product of the factors of every
-- action after it; the running products are computed once per call (materialized), not per bar.
-- Volumes are adjusted for splits only (shares, not money).
create function daily_bars_adjusted(p_symbol text, p_from date default null, p_to date default null)
returns table (
    symbol  text,
    date    date,
    open    double precision,
    high    double precision,
    low     double precision,
    close   double precision,
    volume  bigint,
    factor  double precision
)
language sql stable
as $$
    with per_day as materialized (
        select af.ex_date,
               sum(ln(af.price_factor)) as log_price,
               sum(ln(af.volume_factor)) as log_volume
        from adjustment_factors af
        where af.symbol = p_symbol
        group by af.ex_date
    ), from_here_on as materialized (
        select pd.ex_date,
               exp(sum(pd.log_price) over later) as price,
               exp(sum(pd.log_volume) over later) as volume
        from per_day pd
        window later as (order by pd.ex_date desc)
    )
    select b.symbol,
           b.date,
           b.open * coalesce(f.price, 1.0),
           b.high * coalesce(f.price, 1.0),
           b.low * coalesce(f.price, 1.0),
           b.close * coalesce(f.price, 1.0),
           round(b.volume * coalesce(f.volume, 1.0))::bigint,
           coalesce(f.price, 1.0)
    from daily_bars b
    left join lateral (
        select h.price, h.volume from from_here_on h
        where h.ex_date > b.date
        order by h.ex_date
        limit 1
    ) f on true
    where b.symbol = p_symbol
      and (p_from is null or b.date >= p_from)
      and (p_to is null or b.date <= p_to)
    order by b.date
$$;

create table intraday_bars (
    symbol    text not null references tickers (symbol) on delete cascade,
    "interval" text not null check ("interval" in ('1min', '5min', '15min', '30min', '60min')),
    ts        timestamptz not null,
    open      double precision not null check (open > 0),
    high      double precision not null check (high > 0),
    low       double precision not null check (low > 0),
    close     double precision not null check (close > 0),
    volume    bigint not null check (volume >= 0),
    source    text not null,
    fetched_at timestamptz not null default now(),
    primary key (symbol, "interval", ts)
);

-- `symbol` is null for general market news. An article is stored once per symbol (or once as
-- market news), hence the uniqueness with nulls not distinct.
create table news_articles (
    id               bigint generated always as identity primary key,
    symbol           text check (symbol ~ '^[A-Z0-9.^-]{1,10}$'),
    title            text not null,
    source           text not null,
    url              text not null,
    image            text,
    published_at     timestamptz not null,
    summary          text,
    sentiment_score  double precision check (sentiment_score between -1 and 1),
    sentiment_label  text,
    provider         text not null,
    fetched_at       timestamptz not null default now(),
    constraint news_articles_symbol_url_key unique nulls not distinct (symbol, url)
);
create index news_articles_symbol_published_idx on news_articles (symbol, published_at desc);

create table company_profiles (
    symbol              text primary key references tickers (symbol) on delete cascade,
    name                text,
    description         text,
    exchange            text,
    currency            text,
    country             text,
    sector              text,
    industry            text,
    website             text,
    logo_url            text,
    ipo_date            date,
    market_cap          double precision,
    shares_outstanding  double precision,
    pe_ratio            double precision,
    eps                 double precision,
    dividend_yield      double precision,
    beta                double precision,
    week_52_high        double precision,
    week_52_low         double precision,
    provider            text not null,
    fetched_at          timestamptz not null default now()
);

create table fetch_log (
    id          bigint generated always as identity primary key,
    provider    text,
    symbol      text,
    kind        text not null,
    range_from  date,
    range_to    date,
    status      text not null check (status in ('ok', 'error')),
    error       text,
    latency_ms  bigint not null check (latency_ms >= 0),
    rows        bigint not null default 0,
    created_at  timestamptz not null default now()
);
create index fetch_log_symbol_created_idx on fetch_log (symbol, created_at desc);
