//! An outage report: attached to a known or suspected outage, or filed as a ticket (and a
//! storm of such tickets opens a suspected outage).

use chrono::{Duration, Utc};

use super::outcomes::report_outage::Outcome;
use super::{
    ActionSpec, Actions, Caller, Done, VarKind, VarRead, origin_key, restoration, text_var,
    ticket_vars,
};
use crate::contracts::{OutageStatus, Service};
use crate::domain::{NewOutageFiling, OutageFiling, StormPolicy};
use crate::engine::{ActionRequest, State, Value};
use crate::store::StoreResult;

pub const SPEC: ActionSpec = ActionSpec {
    name: "report_outage",
    reads: &[
        VarRead::required("area_code", VarKind::Area),
        VarRead::optional("service", VarKind::Service),
        VarRead::optional("country", VarKind::Country),
        VarRead::optional("zone", VarKind::Zone),
        VarRead::optional("located_account", VarKind::Account),
    ],
    outcomes: &["attached", "ticket"],
    sets: &[
        "ref",
        "status",
        "restore",
        "restoration",
        "category",
        "sla",
        "updated",
        "late",
    ],
    writes: &[
        "outage_reports",
        "outages",
        "tickets",
        "ticket_events",
        "counters",
    ],
    notable: true,
    ..ActionSpec::EMPTY
};

pub(super) async fn perform(
    actions: &Actions<'_>,
    request: &ActionRequest,
    state: &State,
    caller: &Caller<'_>,
) -> StoreResult<Done<Outcome>> {
    let area_code = text_var(state, "area_code").unwrap_or_default();
    let service = text_var(state, "service").unwrap_or(Service::Electricity.as_str());
    // The area's zone; a session located before zones were known carries its country only.
    let zone = text_var(state, "zone")
        .filter(|z| !z.is_empty())
        .or_else(|| text_var(state, "country"))
        .unwrap_or_default()
        .to_string();
    let now = Utc::now();
    let filing = NewOutageFiling {
        origin_key: origin_key(caller, request, area_code),
        account_no: text_var(state, "located_account").map(str::to_string),
        phone: Some(caller.phone.to_string()),
        channel: caller.channel.to_string(),
        created_at: now,
        area_code: area_code.to_string(),
        service: service.to_string(),
        sla_due_at: Some(now + Duration::hours(actions.config.sla_hours("outage"))),
        note: Some(format!("{service} outage reported in {area_code}")),
    };
    let policy = StormPolicy {
        threshold: actions.config.storm_threshold,
        window: Duration::seconds(actions.config.storm_window_secs),
    };
    // One transaction decides: attach to a known or suspected outage, open a suspected
    // one when this report completes a storm, or file a ticket. The caller hears the
    // reference only once that transaction has committed.
    match actions.crm.file_outage_report(&filing, &policy).await? {
        OutageFiling::Attached { report, outage } => {
            if outage.status == OutageStatus::Suspected.as_str() {
                actions.area_cache.forget(area_code);
            }
            let restore = outage
                .expected_end
                .map(|at| Value::Time { at, zone })
                .unwrap_or_else(|| Value::text("?"));
            Ok(Done::new(Outcome::Attached)
                .var("ref", Value::Reference(report.reference))
                .var("restoration", Value::text(restoration(&outage, now)))
                .var("status", Value::text(outage.status))
                .var("restore", restore))
        }
        OutageFiling::Ticket(ticket) => Ok(ticket_vars(Done::new(Outcome::Ticket), &ticket, now)),
    }
}
