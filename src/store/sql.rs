//! The seam between the CRM's statements and the two databases: every statement is written
//! once, in the aggregate modules of `store/` (`customers.rs`, `tickets.rs`, ...), as generic
//! functions over [`Db`], and each database supplies only how a statement runs and how a value
//! binds and reads back (`sqlite/db.rs` on rusqlite, `postgres/db.rs` on sqlx).
//!
//! What the text of a statement may rely on, on both databases:
//! - placeholders `$1`, `$2`, ... **first used in increasing order** (SQLite numbers a `$N`
//!   parameter by its first appearance; a debug build checks every statement it prepares);
//! - `ON CONFLICT ... DO UPDATE SET x = excluded.x` / `DO NOTHING` and `RETURNING`;
//! - times bound as [`Arg::Time`] (SQLite keeps RFC 3339 text with `Z` and whole seconds,
//!   PostgreSQL `TIMESTAMPTZ` truncated to the second: comparing and ordering agree), dates as
//!   [`Arg::Date`], flags as [`Arg::Bool`];
//! - no clock in SQL (`now()`): the caller binds the time.
//!
//! What really differs is asked of [`Dialect`] (e.g. `FOR UPDATE SKIP LOCKED`) or is a named
//! primitive a dialect overrides (a lock, the reference sequence, a one-statement filing).

use chrono::{DateTime, NaiveDate, Utc};

use super::StoreResult;

/// Which database a [`Db`] talks to, for the few statements whose text must differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The text that makes a `SELECT` claim its rows for this transaction, skipping rows
    /// another transaction claimed (PostgreSQL); SQLite has one writer at a time and needs
    /// nothing.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// One statement's text for each database, where they cannot share one.
    pub(crate) fn pick(self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }
}

/// One bound value. A time binds as the database keeps it (see the module doc).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(bool),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
}

/// `Arg::from` for each type: the variant it binds as, and how the value becomes its payload.
macro_rules! arg_from {
    ($($t:ty => $variant:ident($v:ident => $payload:expr)),* $(,)?) => {$(
        impl<'a> From<$t> for Arg<'a> {
            fn from($v: $t) -> Self {
                Arg::$variant($payload)
            }
        }
    )*};
}
arg_from! {
    &'a str => Text(v => Some(v)),
    &'a String => Text(v => Some(v)),
    Option<&'a str> => Text(v => v),
    &'a Option<String> => Text(v => v.as_deref()),
    i64 => Int(v => Some(v)),
    Option<i64> => Int(v => v),
    u32 => Int(v => Some(i64::from(v))),
    f64 => Real(v => Some(v)),
    Option<f64> => Real(v => v),
    bool => Bool(v => v),
    DateTime<Utc> => Time(v => Some(v)),
    Option<DateTime<Utc>> => Time(v => v),
    NaiveDate => Date(v => Some(v)),
    Option<NaiveDate> => Date(v => v),
}

/// `args![a, b, c]`: the values of `$1`, `$2`, `$3`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::Arg::from($value)),*][..]
    };
}
pub(crate) use args;

/// A table of statements, each one async function over a [`Db`]:
///
/// ```text
/// statements! {
///     /// Why the statement exists, what it guarantees.
///     pub(crate) fn name(a: &str, b: i64) -> Option<T> = optional
///         "SELECT ... WHERE a = $1 AND b = $2";
///     pub(crate) fn other(x: &Thing) = execute
///         "UPDATE ... WHERE id = $2", args![&x.name, x.id];
/// }
/// ```
///
/// expands to `pub(crate) async fn name(db: &mut impl Db, a: &str, b: i64) ->
/// StoreResult<Option<T>>`, binding the parameters in order (`$1` = `a`, `$2` = `b`), or the
/// `args![...]` written after the text when the values are not the parameters themselves.
/// How it runs is its kind: `all` ([`Db::fetch_all`], `-> Vec<T>`), `optional`
/// ([`Db::fetch_optional`], `-> Option<T>`), `one` ([`Db::fetch_one`], `-> T`), `execute`
/// ([`Db::execute`]: no `->` for nothing, `-> u64` for how many rows it changed, `-> bool` for
/// whether it changed any). A function that runs more than one statement, or makes something
/// else of the result, is written out as a function.
macro_rules! statements {
    (@ret) => { () };
    (@ret $ret:ty) => { $ret };
    (@args [$($param:ident),*]) => { $crate::store::sql::args![$($param),*] };
    (@args [$($param:ident),*] $args:expr) => { $args };
    (@run all $db:ident $sql:expr, $args:expr) => { $db.fetch_all($sql, $args).await };
    (@run optional $db:ident $sql:expr, $args:expr) => { $db.fetch_optional($sql, $args).await };
    (@run one $db:ident $sql:expr, $args:expr) => { $db.fetch_one($sql, $args).await };
    (@run execute $db:ident $sql:expr, $args:expr) => {
        Ok($crate::store::sql::Changed::from_count($db.execute($sql, $args).await?))
    };
    ($(
        $(#[$meta:meta])*
        $vis:vis fn $name:ident($($param:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?
            = $kind:ident $sql:expr $(, $args:expr)?;
    )*) => {$(
        $(#[$meta])*
        $vis async fn $name(
            db: &mut impl $crate::store::sql::Db,
            $($param: $ty),*
        ) -> $crate::store::StoreResult<$crate::store::sql::statements!(@ret $($ret)?)> {
            $crate::store::sql::statements!(
                @run $kind db $sql,
                $crate::store::sql::statements!(@args [$($param),*] $($args)?)
            )
        }
    )*};
}
pub(crate) use statements;

/// What an `execute` statement of [`statements!`] answers, from the count of rows it changed.
pub(crate) trait Changed {
    fn from_count(changed: u64) -> Self;
}

impl Changed for () {
    fn from_count(_: u64) -> Self {}
}

impl Changed for u64 {
    fn from_count(changed: u64) -> Self {
        changed
    }
}

impl Changed for bool {
    fn from_count(changed: u64) -> Self {
        changed > 0
    }
}

/// One row of a result, read by column position (statements list their columns).
pub(crate) trait Row {
    fn text(&self, i: usize) -> StoreResult<String>;
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>>;
    fn int(&self, i: usize) -> StoreResult<i64>;
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>>;
    fn boolean(&self, i: usize) -> StoreResult<bool>;
    fn time(&self, i: usize) -> StoreResult<DateTime<Utc>>;
    fn opt_time(&self, i: usize) -> StoreResult<Option<DateTime<Utc>>>;
    fn date(&self, i: usize) -> StoreResult<NaiveDate>;
    fn opt_date(&self, i: usize) -> StoreResult<Option<NaiveDate>>;
}

/// A value made from one row.
pub(crate) trait FromRow: Sized {
    fn from_row(row: &impl Row) -> StoreResult<Self>;
}

/// A value of one column: the row's first, read as `Row::$read`.
macro_rules! first_column {
    ($($t:ty => $read:ident),* $(,)?) => {$(
        impl FromRow for $t {
            fn from_row(row: &impl Row) -> StoreResult<Self> {
                row.$read(0)
            }
        }
    )*};
}
first_column! {
    String => text,
    Option<String> => opt_text,
    i64 => int,
    Option<i64> => opt_int,
    bool => boolean,
    DateTime<Utc> => time,
}

/// A connection or transaction of one database, running statements written once for both.
/// A statement's text is static almost always; it is built only when its shape depends on a
/// count (an `IN` list of placeholders), never from a caller's value.
/// No `Send` bound: the embedded store's futures never wait (they run on its own threads);
/// PostgreSQL's are `Send` through its own types.
pub(crate) trait Db {
    const DIALECT: Dialect;

    /// Runs a statement returning no rows; how many rows it changed.
    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64>;
    /// Every row of a query.
    async fn fetch_all<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<T>>;
    /// The first row of a query, if any.
    async fn fetch_optional<T: FromRow>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> StoreResult<Option<T>>;

    /// The one row of a query that always returns one (`COUNT`, `EXISTS`, `RETURNING`).
    async fn fetch_one<T: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<T> {
        let first = self.fetch_optional(sql, args).await?;
        first.ok_or_else(|| super::StoreError::Corrupt(format!("no row from `{sql}`")))
    }
}

/// `$1, $2, ...` from `$first` on: an `IN` list's placeholders (only their count varies).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when the statement's `$N` placeholders are first used in increasing order, as SQLite
/// numbers them (a named `$N` gets the next free number at its first use).
pub(crate) fn placeholders_in_order(sql: &str) -> bool {
    // Byte by byte, without allocating: debug builds check every statement an import runs,
    // thousands of placeholders each.
    let mut highest = 0;
    let mut bytes = sql.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b != b'$' {
            continue;
        }
        let mut n: Option<usize> = None;
        while let Some(d) = bytes.next_if(u8::is_ascii_digit) {
            n = Some(
                n.unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(usize::from(d - b'0')),
            );
        }
        if let Some(n) = n {
            if n > highest + 1 {
                return false;
            }
            highest = highest.max(n);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_first() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(1, 0), "");
    }

    #[test]
    fn placeholder_order_is_checked() {
        assert!(placeholders_in_order("SELECT $1, $2, $1, $3"));
        assert!(placeholders_in_order("SELECT 1"));
        assert!(!placeholders_in_order("SELECT $2, $1"));
        assert!(!placeholders_in_order("SELECT $1, $3"));
    }
}
