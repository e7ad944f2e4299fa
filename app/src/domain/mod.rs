//! Domain types that parse their input once, at the edge; everything past the parse can trust them.

mod access;
mod alert;
mod credentials;
mod event;
mod export;
mod indicator;
mod job;
mod page;
mod range;
mod search;
#[cfg(feature = "ssr")]
pub mod sql;
mod symbol;
mod ticker_name;
mod user;
mod webhook;

pub use access::{Caller, Role, Tier};
pub use alert::{AlertId, AlertRule, CooldownHours, PriceLevel};
pub use credentials::{ApiKeyId, KeyName, Password, Username};
pub use event::{EventId, EventKind, EventKinds};
pub use export::{DateWindow, ExportFormat, ExportKind};
pub use indicator::{Indicator, IndicatorSet};
pub use job::{JobId, JobState};
pub use page::PageNumber;
pub use range::{ChartRange, HistoryDays};
pub use search::{SearchText, MAX_SEARCH_LEN};
pub use symbol::Symbol;
pub use ticker_name::{TickerName, MAX_TICKER_NAME_LEN};
pub use user::UserId;
pub use webhook::{WebhookId, WebhookKinds, WebhookUrl};
