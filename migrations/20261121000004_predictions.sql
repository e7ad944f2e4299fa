-- Every prediction the app served, so it can be compared with what happened.
-- `version` is the model registry's version; 0 marks the baselines (naive, drift), which are fitted
-- on the spot from the as-of history and have no stored artifact.

create table predictions (
    id           bigserial primary key,
    symbol       text not null references tickers (symbol) on delete cascade,
    model        text not null,
    version      integer not null check (version >= 0),
    as_of        date not null,
    horizon      smallint not null check (horizon between 1 and 63),
    target_date  date not null check (target_date > as_of),
    -- The as-of close: the random walk's prediction, which the running error is measured against.
    last_close   double precision not null,
    point        double precision not null,
    lo95         double precision,
    hi95         double precision,
    lo99         double precision,
    hi99         double precision,
    signal       text not null check (signal in ('BUY', 'SELL', 'HOLD')),
    confidence   double precision not null check (confidence between 0 and 1),
    -- The version's walk-forward record at the time it was served (the API's `metrics`).
    metrics      jsonb,
    actual       double precision,
    served_at    timestamptz not null default now(),
    filled_at    timestamptz,
    unique (symbol, model, version, as_of, horizon)
);

-- Serving looks up the latest as-of of a symbol; history scans target dates.
create index predictions_symbol_as_of on predictions (symbol, as_of);
create index predictions_symbol_target on predictions (symbol, target_date);
-- Filling actuals only visits predictions still waiting for their bar.
create index predictions_unfilled on predictions (symbol, target_date) where actual is null;
