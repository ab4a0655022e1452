//! How the methods the store's traits delegate (`store::delegate!`) run on SQLite: reads in
//! place on a read connection, everything that writes as one unit of work on the writer
//! thread, which takes its arguments along ([`Carry`]).

use chrono::{DateTime, Duration, Utc};

use crate::store::outbox::Delivery;

/// An argument of a write, carried to the writer thread (owned there, as a job must be) and
/// lent to the statement as the caller gave it. Values are copied; borrowed ones cloned once,
/// as a hand-written job would.
pub(super) trait Carry<'a> {
    type Owned: Send + 'static;
    fn carry(self) -> Self::Owned;
    fn lend(owned: &'a Self::Owned) -> Self;
}

impl<'a> Carry<'a> for &'a str {
    type Owned = String;
    fn carry(self) -> String {
        self.to_owned()
    }
    fn lend(owned: &'a String) -> Self {
        owned
    }
}

impl<'a> Carry<'a> for Option<&'a str> {
    type Owned = Option<String>;
    fn carry(self) -> Option<String> {
        self.map(str::to_owned)
    }
    fn lend(owned: &'a Option<String>) -> Self {
        owned.as_deref()
    }
}

impl<'a, T: Clone + Send + 'static> Carry<'a> for &'a T {
    type Owned = T;
    fn carry(self) -> T {
        self.clone()
    }
    fn lend(owned: &'a T) -> Self {
        owned
    }
}

impl<'a, T: Clone + Send + 'static> Carry<'a> for Option<&'a T> {
    type Owned = Option<T>;
    fn carry(self) -> Option<T> {
        self.cloned()
    }
    fn lend(owned: &'a Option<T>) -> Self {
        owned.as_ref()
    }
}

impl<'a, T: Clone + Send + 'static> Carry<'a> for &'a [T] {
    type Owned = Vec<T>;
    fn carry(self) -> Vec<T> {
        self.to_vec()
    }
    fn lend(owned: &'a Vec<T>) -> Self {
        owned
    }
}

/// Values that travel as they are.
macro_rules! copied {
    ($($t:ty),*) => {$(
        impl Carry<'_> for $t {
            type Owned = $t;
            fn carry(self) -> $t {
                self
            }
            fn lend(owned: &$t) -> Self {
                *owned
            }
        }
    )*};
}
copied!(i64, u32, bool, DateTime<Utc>, Duration, Delivery);

/// `run_sqlite!(crm, mode, function, args...)`: a delegated method's body on [`super::SqliteCrm`]
/// (see `store::delegate!` for the modes).
macro_rules! run_sqlite {
    ($crm:ident, read, $f:path, $($p:ident: $t:ty),*) => {
        $crm.read(async |db| $f(db, $($p),*).await)
    };
    ($crm:ident, import, $f:path, $($p:ident: $t:ty),*) => {{
        let pool = &$crm.pool;
        $f($crate::store::sqlite::db::SqliteImport::start(pool).await?, $($p),*).await
    }};
    ($crm:ident, file, $f:path, $($p:ident: $t:ty),*) => {{
        use $crate::store::sqlite::run::Carry;
        $(let $p = <$t as Carry>::carry($p);)*
        $crm.writer
            .write(move |c| {
                let store = $crate::store::sqlite::writer::Filer(c);
                $crate::store::sqlite::writer::complete($f(&store, $(<$t as Carry>::lend(&$p)),*))
            })
            .await
    }};
    ($crm:ident, write, $f:path, $($p:ident: $t:ty),*) => {
        $crate::store::sqlite::run::run_sqlite!($crm, unit, $f, $($p: $t),*)
    };
    ($crm:ident, unit, $f:path, $($p:ident: $t:ty),*) => {{
        use $crate::store::sqlite::run::Carry;
        $(let $p = <$t as Carry>::carry($p);)*
        $crm.writer
            .write(move |c| {
                let db = &mut $crate::store::sqlite::db::Lite(c);
                $crate::store::sqlite::writer::complete($f(db, $(<$t as Carry>::lend(&$p)),*))
            })
            .await
    }};
}
pub(super) use run_sqlite;
