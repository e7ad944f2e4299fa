-- The price chart's indicators a logged-in reader switched on, as the comma-separated list the
-- app parses (`sma50,rsi`); null until the reader chooses.
alter table users
    add column chart_indicators text check (chart_indicators ~ '^[a-z0-9,]{0,200}$');
