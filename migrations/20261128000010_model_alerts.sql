-- Alerts on a model: a close outside its 95% range, a change of its signal, its live error
-- drifting past its walk-forward error.

alter table alerts drop constraint alerts_rule_check;
alter table alerts add column model text;
alter table alerts alter column level drop not null;
alter table alerts add constraint alerts_rule_check check (
    (rule in ('price_above', 'price_below') and level is not null and model is null)
    or (rule in ('outside_range', 'signal_change', 'drift') and model is not null and level is null)
);
-- A model rule's firing has no level.
alter table alert_firings alter column level drop not null;
