use crate::InvalidInput;

/// A kind of paid seat. Names shown to people are configurable per
/// organization; these keys are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeatType {
    Power,
    Casual,
}

impl SeatType {
    pub const ALL: [SeatType; 2] = [SeatType::Power, SeatType::Casual];

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "power" => Ok(Self::Power),
            "casual" => Ok(Self::Casual),
            _ => Err(InvalidInput::new(
                "seat_type",
                "invalid_seat_type",
                "must be power or casual",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Power => "power",
            Self::Casual => "casual",
        }
    }
}

text_value!(SeatType, as_str);
