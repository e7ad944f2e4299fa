use serde::{Deserialize, Serialize};

/// A background job's id (a UUID), parsed once from a path or a form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobId(uuid::Uuid);

impl JobId {
    /// Parses an id from text (a URL segment, a form field).
    pub fn parse(input: &str) -> Result<Self, String> {
        uuid::Uuid::parse_str(input.trim())
            .map(JobId)
            .map_err(|_| "That is not a job id.".to_string())
    }

    /// A new random id (server side: jobs are created there).
    #[cfg(feature = "ssr")]
    pub fn random() -> Self {
        JobId(uuid::Uuid::new_v4())
    }

    /// The UUID.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl From<uuid::Uuid> for JobId {
    fn from(id: uuid::Uuid) -> Self {
        JobId(id)
    }
}

impl TryFrom<String> for JobId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        JobId::parse(&value)
    }
}

impl From<JobId> for String {
    fn from(id: JobId) -> String {
        id.0.to_string()
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a job is. Stored as its lower-case name; an unknown stored name is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker (also between retries).
    Queued,
    /// A worker is on it.
    Running,
    /// Finished; its result is recorded.
    Done,
    /// Gave up; its error says why.
    Failed,
}

impl JobState {
    /// Every state.
    pub const ALL: [JobState; 4] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    /// Whether the job will not change any more (polling can stop).
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

impl std::str::FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown job state `{s}`"))
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_parse_from_uuids_only() {
        let id = JobId::parse(" 67e55044-10b1-426f-9247-bb680e5fe0c8 ").unwrap();
        assert_eq!(id.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert!(JobId::parse("42").is_err());
        assert!(JobId::parse("").is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<JobId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<JobId>("\"nope\"").is_err());
    }

    #[test]
    fn job_states_round_trip_and_unknown_names_are_errors() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>().unwrap(), state);
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{}\"", state.as_str())
            );
        }
        assert!("paused".parse::<JobState>().is_err());
        assert!(JobState::Done.is_finished() && JobState::Failed.is_finished());
        assert!(!JobState::Queued.is_finished() && !JobState::Running.is_finished());
    }
}
