//! Market-data provider clients against local HTTP servers (wiremock) that serve each provider's
//! documented responses from `tests/fixtures/providers/`. One binary for every provider and the chain.

mod providers {
    mod alphavantage;
    mod chain;
    mod contract;
    mod finnhub;
    mod polygon;
    mod support;
    mod yahoo;
}
