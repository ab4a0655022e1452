//! The contract of an action, as data: what a menu must provide and what it may rely on.
//! `dalal check` reads it to refuse a menu that never sets a variable an action needs, and the
//! runner reads it to know which actions mark what a session achieved.

/// What an action expects to find in a variable it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VarKind {
    /// Any text; the action judges it (e.g. a typed reference, to explain a malformed one).
    Text,
    /// Digits only (e.g. the last digits of a meter number).
    Digits,
    /// Letters and digits, as typed (an account or meter number).
    Code,
    /// An account number the session already trusts.
    Account,
    /// A language code of the catalog.
    Language,
    /// A ticket category (`domain::TICKET_CATEGORIES`).
    Category,
    /// An area code of the CRM.
    Area,
    /// `electricity` or `water`.
    Service,
    /// An ISO country code (for the area's clock).
    Country,
    /// An IANA time zone name (the area's clock).
    Zone,
    /// A counter the action keeps itself.
    Number,
    /// Present once something happened (e.g. `language_set`).
    Flag,
    /// A link, e.g. to a voice recording.
    Url,
}

/// One variable an action reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarRead {
    pub var: &'static str,
    pub kind: VarKind,
    /// The action cannot do its job without it: some node of the menu must set it.
    pub required: bool,
}

impl VarRead {
    pub const fn required(var: &'static str, kind: VarKind) -> VarRead {
        VarRead {
            var,
            kind,
            required: true,
        }
    }

    pub const fn optional(var: &'static str, kind: VarKind) -> VarRead {
        VarRead {
            var,
            kind,
            required: false,
        }
    }
}

/// What an action reads, gives back and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// The name menus use (`action: <name>`), the same as its file's.
    pub name: &'static str,
    pub reads: &'static [VarRead],
    /// Every outcome it can report; a menu's `next` must lead somewhere from each.
    pub outcomes: &'static [&'static str],
    /// Variables it may set (on some outcomes only).
    pub sets: &'static [&'static str],
    /// Lists it may fill, for `list: { from: ... }` screens.
    pub lists: &'static [&'static str],
    /// Tables it writes to (documentation: what a migration must provide).
    pub writes: &'static [&'static str],
    /// Its outcome marks what a session achieved, in the interaction log.
    pub notable: bool,
    /// Keys a menu node may give it under `args`.
    pub args: &'static [&'static str],
}

impl ActionSpec {
    /// A spec that reads, sets and writes nothing, to build on with struct update syntax.
    pub const EMPTY: ActionSpec = ActionSpec {
        name: "",
        reads: &[],
        outcomes: &[],
        sets: &[],
        lists: &[],
        writes: &[],
        notable: false,
        args: &[],
    };

    pub fn gives(&self, outcome: &str) -> bool {
        self.outcomes.contains(&outcome)
    }
}

/// `a == b`, usable where the registry checks each spec's name at compile time.
pub(super) const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The same names in the same order, usable where the registry checks each action's
/// generated `Outcome` enum against its SPEC at compile time.
pub(super) const fn same_names(a: &[&str], b: &[&str]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !same_name(a[i], b[i]) {
            return false;
        }
        i += 1;
    }
    true
}
