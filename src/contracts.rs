//! The closed vocabularies the CRM, the menus and the outbox agree on, as types: a value read
//! at an edge (a CSV file, a database row, the configuration) is parsed once, with an error
//! naming the bad value and the allowed ones, and past the edge only a valid one exists.
//! The strings themselves are written here only (`tests/architecture.rs` checks it).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that is not one of its type's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// What was expected, e.g. `ticket status`.
    pub what: &'static str,
    pub value: String,
    pub allowed: &'static [&'static str],
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} `{}` is not one of {}",
            self.what,
            self.value,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}

/// Declares a closed set of names as an enum: `as_str`, `ALL`, `NAMES`, `Display`, `FromStr`
/// (an [`UnknownValue`] on any other text) and serde as the name.
macro_rules! contract {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The names, in the order of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        what: $what,
                        value: s.to_string(),
                        allowed: $name::NAMES,
                    }),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
    };
}

contract! {
    /// Where a ticket stands.
    TicketStatus("status") {
        Open = "open",
        InProgress = "in_progress",
        Resolved = "resolved",
        Closed = "closed",
    }
}

impl TicketStatus {
    /// Still waiting for the utility.
    pub fn is_pending(self) -> bool {
        matches!(self, TicketStatus::Open | TicketStatus::InProgress)
    }
}

contract! {
    /// Whether an account is served (`customers.csv`).
    AccountStatus("status") {
        Active = "active",
        Suspended = "suspended",
    }
}

contract! {
    /// What an account, an outage or a connection request is about.
    Service("service") {
        Electricity = "electricity",
        Water = "water",
    }
}

contract! {
    /// Where a ticket, a report or a session came in: the two served here, and the utility's
    /// own desks (in the CRM's data).
    Channel("channel") {
        Ussd = "ussd",
        Voice = "voice",
        Web = "web",
        CallCentre = "call_centre",
        Agency = "agency",
    }
}

contract! {
    /// An account's tariff (`customers.csv`): electricity's four, water's three
    /// (`commercial` is both).
    TariffKind("tariff") {
        DomesticPrepaid = "domestic_prepaid",
        DomesticPostpaid = "domestic_postpaid",
        SmallBusiness = "small_business",
        Commercial = "commercial",
        Domestic = "domestic",
        Standpipe = "standpipe",
    }
}

impl TariffKind {
    /// A prepaid meter: the customer buys tokens instead of receiving bills.
    pub fn is_prepaid(self) -> bool {
        self == TariffKind::DomesticPrepaid
    }
}

contract! {
    /// Where an outage stands: from the CRM (`scheduled`, `active`, `resolved`), or
    /// `suspected`, opened by the store when many callers of one area report one it did not
    /// know of.
    OutageStatus("status") {
        Scheduled = "scheduled",
        Active = "active",
        Resolved = "resolved",
        Suspected = "suspected",
    }
}

impl OutageStatus {
    /// The statuses a CRM's `outages.csv` may give (`suspected` is the store's own).
    pub const IMPORTED: &'static [&'static str] = &[
        OutageStatus::Scheduled.as_str(),
        OutageStatus::Active.as_str(),
        OutageStatus::Resolved.as_str(),
    ];
}

contract! {
    /// Whether the utility announced an outage.
    OutageKind("kind") {
        Planned = "planned",
        Unplanned = "unplanned",
    }
}

contract! {
    /// What a row of `sms_outbox` tells the customer: queued by the triggers of migrations
    /// `0003` (filed, status, late, reported, callback, restored) or by the store's schedules
    /// and replies (the rest).
    OutboxKind("outbox kind") {
        TicketFiled = "ticket_filed",
        TicketStatus = "ticket_status",
        /// A ticket past its SLA, escalated.
        TicketLate = "ticket_late",
        OutageReported = "outage_reported",
        CallbackRequested = "callback_requested",
        OutageRestored = "outage_restored",
        PlannedOutage = "planned_outage",
        Survey = "survey",
        SurveyHelp = "survey_help",
        OptedOut = "opted_out",
        TokenResend = "token_resend",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name parses back to its value, `Display` and serde say the name, and the names
    /// are unique.
    fn round_trips<T>(all: &[T], names: &[&str])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr<Err = UnknownValue>,
        T: Serialize + for<'de> Deserialize<'de>,
    {
        assert_eq!(all.len(), names.len());
        for (value, name) in all.iter().zip(names) {
            assert_eq!(value.to_string(), *name);
            assert_eq!(name.parse::<T>().as_ref(), Ok(value));
            let json = serde_json::to_string(value).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *value);
            assert_eq!(names.iter().filter(|n| n == &name).count(), 1, "{name}");
        }
    }

    #[test]
    fn every_contract_round_trips_its_names() {
        round_trips(TicketStatus::ALL, TicketStatus::NAMES);
        round_trips(Service::ALL, Service::NAMES);
        round_trips(Channel::ALL, Channel::NAMES);
        round_trips(TariffKind::ALL, TariffKind::NAMES);
        round_trips(OutboxKind::ALL, OutboxKind::NAMES);
        round_trips(OutageStatus::ALL, OutageStatus::NAMES);
        round_trips(OutageKind::ALL, OutageKind::NAMES);
        round_trips(AccountStatus::ALL, AccountStatus::NAMES);
    }

    #[test]
    fn a_bad_value_is_named_with_the_allowed_ones() {
        let error = "pending".parse::<TicketStatus>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "status `pending` is not one of open, in_progress, resolved, closed"
        );
        assert_eq!(
            "gas".parse::<Service>().unwrap_err().to_string(),
            "service `gas` is not one of electricity, water"
        );
        assert!(
            "fax"
                .parse::<Channel>()
                .unwrap_err()
                .to_string()
                .contains("channel `fax`")
        );
        assert!("Open".parse::<TicketStatus>().is_err(), "names are exact");
        assert!("".parse::<TariffKind>().is_err());
        assert_eq!(
            "over".parse::<OutageStatus>().unwrap_err().to_string(),
            "status `over` is not one of scheduled, active, resolved, suspected"
        );
        let json = serde_json::from_str::<OutboxKind>("\"escalation\"");
        assert!(json.unwrap_err().to_string().contains("`escalation`"));
    }

    #[test]
    fn only_open_and_in_progress_tickets_are_pending() {
        let pending: Vec<_> = TicketStatus::ALL
            .iter()
            .filter(|s| s.is_pending())
            .collect();
        assert_eq!(pending, [&TicketStatus::Open, &TicketStatus::InProgress]);
    }

    #[test]
    fn only_the_prepaid_tariff_is_prepaid() {
        let prepaid: Vec<_> = TariffKind::ALL.iter().filter(|t| t.is_prepaid()).collect();
        assert_eq!(prepaid, [&TariffKind::DomesticPrepaid]);
        for tariff in TariffKind::ALL {
            assert_eq!(tariff.is_prepaid(), tariff.as_str().ends_with("prepaid"));
        }
    }
}
