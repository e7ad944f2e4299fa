-- Accounts get a role (what they may administer) and a tier (their limits).
alter table users
    add column role text not null default 'user' check (role in ('user', 'admin')),
    add column tier text not null default 'free' check (tier in ('free', 'pro', 'admin'));

-- API keys: shown once as `tc_<id>_<secret>`; only the secret's SHA-256 is kept (the secret is
-- 256 random bits, so a fast hash is enough: there is nothing to brute-force).
create table api_keys (
    id             text primary key check (id ~ '^[a-z0-9]{12}$'),
    user_id        uuid not null references users (id) on delete cascade,
    name           text not null check (length(name) between 1 and 64),
    secret_sha256  text not null check (secret_sha256 ~ '^[0-9a-f]{64}$'),
    tier           text not null check (tier in ('free', 'pro', 'admin')),
    created_at     timestamptz not null default now(),
    last_used_at   timestamptz,
    revoked_at     timestamptz,
    -- Requests made with the key, counted in batches (today's count lives in the rate limiter).
    requests       bigint not null default 0 check (requests >= 0)
);
create index api_keys_user on api_keys (user_id, created_at);
