use serde::{Deserialize, Serialize};

use super::UserId;

/// What an API key or an account may do per minute and per day (limits are configured per tier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// The default.
    Free,
    /// Higher limits.
    Pro,
    /// Operators: the highest limits.
    Admin,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 3] = [Tier::Free, Tier::Pro, Tier::Admin];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Pro => "pro",
            Tier::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown tier `{s}`"))
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an account may administer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Uses the app and the API.
    User,
    /// Also runs the admin routes (precompute) and the `server admin` commands' grants.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role `{other}`")),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is asking: nobody in particular (limited by client address), or an account (by its key,
/// token or session), with the tier its limits come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No key, no token, no session.
    Anonymous,
    /// An account.
    Member {
        /// The account.
        user: UserId,
        /// Its limits.
        tier: Tier,
        /// What it may administer.
        role: Role,
    },
}

impl Caller {
    /// The account, if any.
    pub fn user(&self) -> Option<UserId> {
        match self {
            Caller::Anonymous => None,
            Caller::Member { user, .. } => Some(*user),
        }
    }

    /// Whether the caller may run admin routes.
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Caller::Member {
                role: Role::Admin,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_and_roles_round_trip_and_unknown_names_are_errors() {
        for t in Tier::ALL {
            assert_eq!(t.as_str().parse::<Tier>().unwrap(), t);
        }
        assert!("gold".parse::<Tier>().is_err());
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert!("root".parse::<Role>().is_err());
        assert!(Tier::Free < Tier::Pro && Tier::Pro < Tier::Admin);
    }
}
