use crate::InvalidInput;

/// A member's role inside one team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRole {
    Member,
    Lead,
}

impl TeamRole {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        match raw.trim() {
            "member" => Ok(Self::Member),
            "lead" => Ok(Self::Lead),
            _ => Err(InvalidInput::new(
                "team_role",
                "invalid_team_role",
                "must be member or lead",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Lead => "lead",
        }
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Member => "Member",
            Self::Lead => "Team lead",
        }
    }
}

text_value!(TeamRole, as_str);
