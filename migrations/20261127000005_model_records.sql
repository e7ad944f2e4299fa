-- What a training run measured beyond its metrics, kept with the version it describes.
alter table model_versions
    -- The walk-forward record (every origin's forecasts): the ensemble is fitted from its members'
    -- records, and promotion re-scores on common origins from it.
    add column record jsonb,
    -- Per horizon: the calibrated probability that a direction call is right, with its
    -- out-of-sample reliability table.
    add column calibration jsonb,
    -- The strategy backtest of the one-day calls against buy-and-hold.
    add column strategy jsonb,
    -- The fitted model's name when it says more than the model id (e.g. "ARIMA(2,1,0)").
    add column label text;

-- What a served prediction said about itself, so a recorded answer reads as it was served.
alter table predictions
    add column label text,
    add column confidence_label text,
    add column trained jsonb;
