//! The ledger of commitments beyond forces: aid, finance, sanctions, guarantees, statements and
//! meetings, each with its status, dates, estimates and sources.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::access::Releasability;
use crate::ids::{CommitmentId, Currency, NationCode, SourceId};
use crate::read::{date, join, kind, non_negative, one_of, scalar, string, Fields, ParseErrors};

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [(&'static str, $name)] = &[$(($word, $name::$variant)),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(CommitmentKind {
    Aid = "aid",
    Finance = "finance",
    Sanction = "sanction",
    Guarantee = "guarantee",
    Statement = "statement",
    Meeting = "meeting",
});

word_enum!(
    /// Every status a commitment can have; which ones apply depends on its kind.
    CommitmentStatus {
        Announced = "announced",
        Committed = "committed",
        Allocated = "allocated",
        Delivered = "delivered",
        Cancelled = "cancelled",
        Proposed = "proposed",
        Adopted = "adopted",
        InForce = "in_force",
        Lifted = "lifted",
        Indicated = "indicated",
        Offered = "offered",
        Confirmed = "confirmed",
        Withdrawn = "withdrawn",
        Stated = "stated",
        Retracted = "retracted",
        Planned = "planned",
        Held = "held",
    }
);

impl CommitmentKind {
    /// The statuses a commitment of this kind may have.
    pub fn statuses(self) -> &'static [CommitmentStatus] {
        use CommitmentStatus as S;
        match self {
            CommitmentKind::Aid | CommitmentKind::Finance => &[
                S::Announced,
                S::Committed,
                S::Allocated,
                S::Delivered,
                S::Cancelled,
            ],
            CommitmentKind::Sanction => &[S::Proposed, S::Adopted, S::InForce, S::Lifted],
            CommitmentKind::Guarantee => &[S::Indicated, S::Offered, S::Confirmed, S::Withdrawn],
            CommitmentKind::Statement => &[S::Stated, S::Retracted],
            CommitmentKind::Meeting => &[S::Planned, S::Held, S::Cancelled],
        }
    }
}

word_enum!(Instrument {
    Grant = "grant",
    Loan = "loan",
    ExportFinance = "export_finance",
    Guarantee = "guarantee",
    InKind = "in_kind",
    PurchaseOnBehalf = "purchase_on_behalf",
});

word_enum!(
    /// How one ledger entry relates to another: an option on top of a firm tranche, one
    /// tranche of a larger package, a follow-on to an earlier contract, a replacement.
    LinkKind {
        OptionOf = "option_of",
        TrancheOf = "tranche_of",
        FollowOnTo = "follow_on_to",
        Replaces = "replaces",
        Related = "related",
    }
);

word_enum!(
    /// A nation's stance on a topic.
    Stance {
        Willing = "willing",
        Conditional = "conditional",
        Unwilling = "unwilling",
        Undecided = "undecided",
    }
);

word_enum!(MeetingFormat {
    InPerson = "in_person",
    Virtual = "virtual",
    Hybrid = "hybrid",
});

word_enum!(
    /// How exact an estimate is.
    Qualifier {
        Exact = "exact",
        About = "about",
        UpTo = "up_to",
        AtLeast = "at_least",
        MoreThan = "more_than",
        Range = "range",
    }
);

impl Qualifier {
    fn is_exact(&self) -> bool {
        *self == Qualifier::Exact
    }
}

/// A non-negative decimal number kept as written, so money is never rounded by a float.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(String);

impl Decimal {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        let ok = !int.is_empty()
            && int.len() <= 18
            && digits(int)
            && (int == "0" || !int.starts_with('0'))
            && digits(frac)
            && frac.len() <= 6
            && (s.contains('.') <= !frac.is_empty());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "\"{s}\" is not a decimal amount written as a string such as \"1600000000\" or \"12.50\""
            ))
        }
    }
    fn from_json(v: &Value) -> Result<Self, String> {
        match v {
            Value::String(s) => Self::parse(s),
            Value::Number(n) => Err(format!("write amounts as strings, e.g. \"{n}\"")),
            other => Err(format!("expected a decimal string, found {}", kind(other))),
        }
    }
    /// The value as a float, for aggregates and charts (exact figures stay in the string).
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// An amount of money with its currency and how exact it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Money {
    pub value: Decimal,
    pub currency: Currency,
    #[serde(skip_serializing_if = "Qualifier::is_exact")]
    pub qualifier: Qualifier,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<Decimal>,
}

/// A counted quantity with how exact it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantity {
    #[serde(serialize_with = "crate::read::whole_if_integral")]
    pub value: f64,
    #[serde(skip_serializing_if = "Qualifier::is_exact")]
    pub qualifier: Qualifier,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::read::opt_whole_if_integral"
    )]
    pub low: Option<f64>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::read::opt_whole_if_integral"
    )]
    pub high: Option<f64>,
}

fn check_range<T: PartialOrd>(
    q: Qualifier,
    low: Option<&T>,
    value: &T,
    high: Option<&T>,
    path: &str,
    errs: &mut ParseErrors,
) -> bool {
    match (q, low, high) {
        (Qualifier::Range, Some(l), Some(h)) if l <= value && value <= h => true,
        (Qualifier::Range, Some(_), Some(_)) => {
            errs.push(path, "a range needs low ≤ value ≤ high");
            false
        }
        (Qualifier::Range, _, _) => {
            errs.push(path, "a range needs both low and high");
            false
        }
        (_, None, None) => true,
        _ => {
            errs.push(
                path,
                "low and high are only allowed with the qualifier \"range\"",
            );
            false
        }
    }
}

impl Money {
    pub fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let value = f.req("value", errs, scalar(Decimal::from_json));
        let currency = f.req("currency", errs, scalar(Currency::from_json));
        let qualifier = f.opt("qualifier", errs, scalar(one_of(Qualifier::ALL)));
        let low = f.opt("low", errs, scalar(Decimal::from_json));
        let high = f.opt("high", errs, scalar(Decimal::from_json));
        f.finish(errs);
        let m = Self {
            value: value?,
            currency: currency?,
            qualifier: qualifier.ok()?.unwrap_or(Qualifier::Exact),
            low: low.ok()?,
            high: high.ok()?,
        };
        let num = |d: &Decimal| d.to_f64();
        let ok = check_range(
            m.qualifier,
            m.low.as_ref().map(num).as_ref(),
            &num(&m.value),
            m.high.as_ref().map(num).as_ref(),
            path,
            errs,
        );
        ok.then_some(m)
    }
}

impl Quantity {
    fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let value = f.req("value", errs, scalar(non_negative));
        let qualifier = f.opt("qualifier", errs, scalar(one_of(Qualifier::ALL)));
        let low = f.opt("low", errs, scalar(non_negative));
        let high = f.opt("high", errs, scalar(non_negative));
        f.finish(errs);
        let q = Self {
            value: value?,
            qualifier: qualifier.ok()?.unwrap_or(Qualifier::Exact),
            low: low.ok()?,
            high: high.ok()?,
        };
        check_range(
            q.qualifier,
            q.low.as_ref(),
            &q.value,
            q.high.as_ref(),
            path,
            errs,
        )
        .then_some(q)
    }
}

/// Items of an aid package: what, how many promised, how many delivered so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub name: String,
    pub quantity: Quantity,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::read::opt_whole_if_integral"
    )]
    pub delivered: Option<f64>,
}

impl Item {
    fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let name = f.req("name", errs, scalar(string));
        let quantity = f.req("quantity", errs, Quantity::from_json);
        let delivered = f.opt("delivered", errs, scalar(non_negative));
        f.finish(errs);
        Some(Self {
            name: name?,
            quantity: quantity?,
            delivered: delivered.ok()?,
        })
    }
}

/// One step of an entry's way from announcement to delivery, with its date and sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    pub status: CommitmentStatus,
    pub date: jiff::civil::Date,
    /// The value at this step when it differs from the entry's (e.g. the signed contract).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceId>,
}

impl Stage {
    fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let status = f.req("status", errs, scalar(one_of(CommitmentStatus::ALL)));
        let date_ = f.req("date", errs, scalar(date));
        let amount = f.opt("amount", errs, Money::from_json);
        let note = f.opt("note", errs, scalar(string));
        let sources = f.list("sources", errs, scalar(SourceId::from_json));
        f.finish(errs);
        Some(Self {
            status: status?,
            date: date_?,
            amount: amount.ok()?,
            note: note.ok()?,
            sources: sources?,
        })
    }
}

/// A link from one ledger entry to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub rel: LinkKind,
    pub id: CommitmentId,
}

impl Link {
    fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let rel = f.req("rel", errs, scalar(one_of(LinkKind::ALL)));
        let id = f.req("id", errs, scalar(CommitmentId::from_json));
        f.finish(errs);
        Some(Self { rel: rel?, id: id? })
    }
}

/// IATI transaction type (code, name) a stage reports as, for aid and finance entries.
/// Announcements are pledges (12), commitments and allocations or contracts are commitments (2),
/// delivery is a disbursement (3) for money and an expenditure (4) for goods bought or given in
/// kind; a guarantee is a credit guarantee (10) from the moment it is committed.
pub fn iati_transaction_type(
    status: CommitmentStatus,
    instrument: Option<Instrument>,
) -> Option<(u8, &'static str)> {
    use CommitmentStatus as S;
    match (status, instrument) {
        (S::Announced, _) => Some((12, "Outgoing Pledge")),
        (S::Committed | S::Allocated | S::Delivered, Some(Instrument::Guarantee)) => {
            Some((10, "Credit Guarantee"))
        }
        (S::Committed | S::Allocated, _) => Some((2, "Outgoing Commitment")),
        (S::Delivered, Some(Instrument::InKind | Instrument::PurchaseOnBehalf)) => {
            Some((4, "Expenditure"))
        }
        (S::Delivered, _) => Some((3, "Disbursement")),
        _ => None,
    }
}

/// The Kiel Institute's Ukraine Support Tracker measure a stage counts under: "commitment"
/// (announced or committed) or "allocation" (allocated, contracted or delivered).
pub fn kiel_measure(status: CommitmentStatus) -> Option<&'static str> {
    use CommitmentStatus as S;
    match status {
        S::Announced | S::Committed => Some("commitment"),
        S::Allocated | S::Delivered => Some("allocation"),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commitment {
    pub id: CommitmentId,
    pub kind: CommitmentKind,
    pub nation: NationCode,
    pub title: String,
    pub status: CommitmentStatus,
    pub date: jiff::civil::Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<jiff::civil::Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<NationCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instrument: Option<Instrument>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stance: Option<Stance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<MeetingFormat>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceId>,
    /// Its way from announcement to delivery; when empty, the entry has one stage: its status
    /// on its date.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Who buys or pays on the recipient's behalf (a nation or organisation code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intermediary: Option<String>,
    #[serde(skip_serializing_if = "Releasability::is_default")]
    pub releasability: Releasability,
}

fn participant(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    if (2..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(s)
    } else {
        Err(format!(
            "\"{s}\" is not a nation code or organisation in capitals (e.g. \"GBR\", \"NATO\")"
        ))
    }
}

impl Commitment {
    pub fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let id = f.req("id", errs, scalar(CommitmentId::from_json));
        let kind = f.req("kind", errs, scalar(one_of(CommitmentKind::ALL)));
        let nation = f.req("nation", errs, scalar(NationCode::from_json));
        let title = f.req("title", errs, scalar(string));
        let status = f.req("status", errs, scalar(one_of(CommitmentStatus::ALL)));
        let date_ = f.req("date", errs, scalar(date));
        let end_date = f.opt("end_date", errs, scalar(date));
        let recipient = f.opt("recipient", errs, scalar(NationCode::from_json));
        let target = f.opt("target", errs, scalar(string));
        let instrument = f.opt("instrument", errs, scalar(one_of(Instrument::ALL)));
        let amount = f.opt("amount", errs, Money::from_json);
        let items = f.list("items", errs, Item::from_json);
        let topic = f.opt("topic", errs, scalar(string));
        let stance = f.opt("stance", errs, scalar(one_of(Stance::ALL)));
        let format = f.opt("format", errs, scalar(one_of(MeetingFormat::ALL)));
        let participants = f.list("participants", errs, scalar(participant));
        let summary = f.opt("summary", errs, scalar(string));
        let sources = f.list("sources", errs, scalar(SourceId::from_json));
        let stages = f.list("stages", errs, Stage::from_json);
        let links = f.list("links", errs, Link::from_json);
        let intermediary = f.opt("intermediary", errs, scalar(participant));
        let releasability = f.opt("releasability", errs, scalar(one_of(Releasability::ALL)));
        f.finish(errs);
        if let (Some(k), Some(st)) = (kind, status) {
            if !k.statuses().contains(&st) {
                let allowed: Vec<_> = k.statuses().iter().map(|s| s.as_str()).collect();
                errs.push(
                    &join(path, "status"),
                    format!(
                        "\"{st}\" is not a status of a {k}; expected one of {}",
                        allowed.join(", ")
                    ),
                );
                return None;
            }
        }
        let c = Self {
            id: id?,
            kind: kind?,
            nation: nation?,
            title: title?,
            status: status?,
            date: date_?,
            end_date: end_date.ok()?,
            recipient: recipient.ok()?,
            target: target.ok()?,
            instrument: instrument.ok()?,
            amount: amount.ok()?,
            items: items?,
            topic: topic.ok()?,
            stance: stance.ok()?,
            format: format.ok()?,
            participants: participants?,
            summary: summary.ok()?,
            sources: sources?,
            stages: stages?,
            links: links?,
            intermediary: intermediary.ok()?,
            releasability: releasability.ok()?.unwrap_or_default(),
        };
        let mut ok = true;
        if let Err((i, m)) = c.check_stages() {
            let at = match i {
                Some(i) => join(path, &format!("stages[{i}]")),
                None => path.to_owned(),
            };
            errs.push(&at, m);
            ok = false;
        }
        if c.links.iter().any(|l| l.id == c.id) {
            errs.push(&join(path, "links"), "an entry cannot link to itself");
            ok = false;
        }
        if c.end_date.is_some_and(|e| e < c.date) {
            errs.push(&join(path, "end_date"), "is before date");
            ok = false;
        }
        if c.stance.is_some() != c.topic.is_some() {
            errs.push(path, "a stance needs its topic and a topic its stance");
            ok = false;
        }
        ok.then_some(c)
    }
}

impl Commitment {
    /// Is this an aid or finance entry (the ones with stages to delivery and money)?
    pub fn is_aid_or_finance(&self) -> bool {
        matches!(self.kind, CommitmentKind::Aid | CommitmentKind::Finance)
    }

    /// Its stages: the recorded ones, or the one implied by its status and date.
    pub fn history(&self) -> Vec<Stage> {
        if self.stages.is_empty() {
            vec![Stage {
                status: self.status,
                date: self.date,
                amount: None,
                note: None,
                sources: self.sources.clone(),
            }]
        } else {
            self.stages.clone()
        }
    }

    /// The stage in force on `day` (the last one dated on or before it), `None` before the
    /// entry existed.
    pub fn stage_as_of(&self, day: jiff::civil::Date) -> Option<Stage> {
        self.history().into_iter().rev().find(|s| s.date <= day)
    }

    /// The value at a stage: the stage's own amount if it has one, else the entry's.
    pub fn amount_at<'a>(&'a self, stage: &'a Stage) -> Option<&'a Money> {
        stage.amount.as_ref().or(self.amount.as_ref())
    }

    /// Checks the stages: statuses of this kind in their order (only deliveries may repeat),
    /// dates that do not go back, the first on the entry's date and the last its status.
    /// The error names the stage at fault, if one is.
    pub fn check_stages(&self) -> Result<(), (Option<usize>, String)> {
        let Some(first) = self.stages.first() else {
            return Ok(());
        };
        let order = self.kind.statuses();
        let mut previous: Option<(usize, &Stage)> = None;
        for (i, stage) in self.stages.iter().enumerate() {
            let Some(rank) = order.iter().position(|s| *s == stage.status) else {
                let allowed: Vec<_> = order.iter().map(|s| s.as_str()).collect();
                return Err((
                    Some(i),
                    format!(
                        "\"{}\" is not a status of a {}; expected one of {}",
                        stage.status,
                        self.kind,
                        allowed.join(", ")
                    ),
                ));
            };
            if let Some((before, prev)) = previous {
                let repeat_ok = rank == before && stage.status == CommitmentStatus::Delivered;
                if rank < before || (rank == before && !repeat_ok) {
                    return Err((
                        Some(i),
                        format!(
                            "cannot go from {} to {}: stages follow {}",
                            prev.status,
                            stage.status,
                            order
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(" → ")
                        ),
                    ));
                }
                if stage.date < prev.date {
                    return Err((
                        Some(i),
                        format!(
                            "is dated {}, before the stage it follows ({})",
                            stage.date, prev.date
                        ),
                    ));
                }
            }
            previous = Some((rank, stage));
        }
        if first.date != self.date {
            return Err((
                None,
                format!(
                    "date ({}) must be the first stage's date ({})",
                    self.date, first.date
                ),
            ));
        }
        if let Some(last) = self.stages.last() {
            if last.status != self.status {
                return Err((
                    None,
                    format!(
                        "status ({}) must be the last stage's status ({})",
                        self.status, last.status
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Records the next stage, after checking it follows the ones before; on error nothing
    /// changes.
    pub fn advance(&mut self, stage: Stage) -> Result<(), String> {
        let mut next = self.clone();
        if next.stages.is_empty() {
            next.stages = next.history();
        }
        next.status = stage.status;
        next.stages.push(stage);
        next.check_stages().map_err(|(_, m)| m)?;
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_uk_export_finance_deal_is_representable_as_reported() {
        let v = json!({"id": "PUB-GBR-EXPORT-FINANCE", "kind": "finance", "nation": "GBR",
            "title": "Export finance for air-defence missiles", "status": "announced", "date": "2025-03-02",
            "recipient": "UKR", "instrument": "export_finance",
            "amount": {"value": "1600000000", "currency": "GBP", "qualifier": "up_to"},
            "items": [{"name": "air-defence missiles", "quantity": {"value": 5000, "qualifier": "more_than"}}]});
        let mut errs = ParseErrors::default();
        let c = Commitment::from_json(&v, "c", &mut errs).unwrap();
        let amount = c.amount.as_ref().unwrap();
        assert_eq!(
            (amount.value.as_str(), amount.qualifier),
            ("1600000000", Qualifier::UpTo)
        );
        assert_eq!(c.items[0].quantity.qualifier, Qualifier::MoreThan);
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
    }

    #[test]
    fn decimals() {
        for ok in ["0", "12", "12.5", "1600000000", "0.25"] {
            assert!(Decimal::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "01", "1.", ".5", "-1", "1e9", "1,000", "1.2.3"] {
            assert!(Decimal::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_must_fit_kind_and_ranges_must_be_ordered() {
        let v = json!({"id": "X", "kind": "meeting", "nation": "GBR", "title": "t", "status": "delivered",
            "date": "2025-03-02", "amount": {"value": "5", "currency": "EUR", "qualifier": "range", "low": "6", "high": "9"}});
        let mut errs = ParseErrors::default();
        assert!(Commitment::from_json(&v, "c", &mut errs).is_none());
        let got: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("c.amount: a range needs"));
        assert!(got[1].starts_with("c.status: \"delivered\" is not a status of a meeting"));
    }

    fn staged(stages: serde_json::Value, status: &str, date: &str) -> serde_json::Value {
        json!({"id": "EX-AID-1", "kind": "aid", "nation": "NLD", "title": "t", "status": status,
            "date": date, "recipient": "UKR", "instrument": "in_kind",
            "amount": {"value": "100", "currency": "EUR"}, "stages": stages})
    }

    fn parse(v: &serde_json::Value) -> Result<Commitment, Vec<String>> {
        let mut errs = ParseErrors::default();
        Commitment::from_json(v, "c", &mut errs)
            .ok_or_else(|| errs.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn stages_run_from_announcement_to_delivery_and_round_trip() {
        let v = staged(
            json!([
                {"status": "announced", "date": "2025-03-02", "sources": ["S1"]},
                {"status": "committed", "date": "2025-04-01"},
                {"status": "allocated", "date": "2025-05-01", "amount": {"value": "90", "currency": "EUR"}, "note": "contract signed"},
                {"status": "delivered", "date": "2025-06-01"},
                {"status": "delivered", "date": "2025-07-01", "note": "second shipment"}
            ]),
            "delivered",
            "2025-03-02",
        );
        let c = parse(&v).unwrap();
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
        let d = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        assert_eq!(c.stage_as_of(d("2025-03-01")), None, "not yet announced");
        assert_eq!(
            c.stage_as_of(d("2025-04-30")).unwrap().status,
            CommitmentStatus::Committed
        );
        let allocated = c.stage_as_of(d("2025-05-15")).unwrap();
        assert_eq!(c.amount_at(&allocated).unwrap().value.as_str(), "90");
        let committed = c.stage_as_of(d("2025-04-15")).unwrap();
        assert_eq!(c.amount_at(&committed).unwrap().value.as_str(), "100");
    }

    #[test]
    fn stages_out_of_order_backwards_in_time_or_disagreeing_with_the_entry_are_refused() {
        let cases = [
            (
                json!([{"status": "committed", "date": "2025-03-02"}, {"status": "announced", "date": "2025-03-03"}]),
                "announced",
                "2025-03-02",
                "c.stages[1]: cannot go from committed to announced",
            ),
            (
                json!([{"status": "announced", "date": "2025-03-02"}, {"status": "announced", "date": "2025-03-03"}]),
                "announced",
                "2025-03-02",
                "c.stages[1]: cannot go from announced to announced",
            ),
            (
                json!([{"status": "announced", "date": "2025-03-02"}, {"status": "committed", "date": "2025-03-01"}]),
                "committed",
                "2025-03-02",
                "c.stages[1]: is dated 2025-03-01, before",
            ),
            (
                json!([{"status": "announced", "date": "2025-03-02"}, {"status": "committed", "date": "2025-03-05"}]),
                "announced",
                "2025-03-02",
                "c: status (announced) must be the last stage's status (committed)",
            ),
            (
                json!([{"status": "announced", "date": "2025-03-04"}]),
                "announced",
                "2025-03-02",
                "c: date (2025-03-02) must be the first stage's date (2025-03-04)",
            ),
            (
                json!([{"status": "held", "date": "2025-03-02"}]),
                "held",
                "2025-03-02",
                "\"held\" is not a status of a aid",
            ),
        ];
        for (stages, status, date, want) in cases {
            let errs = parse(&staged(stages.clone(), status, date)).unwrap_err();
            assert!(
                errs.iter().any(|e| e.contains(want)),
                "{stages}: wanted {want:?}, got {errs:?}"
            );
        }
        // Cancellation may end any stage.
        parse(&staged(
            json!([{"status": "announced", "date": "2025-03-02"}, {"status": "cancelled", "date": "2025-09-01"}]),
            "cancelled",
            "2025-03-02",
        ))
        .unwrap();
    }

    #[test]
    fn advancing_checks_the_next_stage_and_changes_nothing_on_error() {
        let mut c = parse(
            &json!({"id": "X", "kind": "finance", "nation": "GBR", "title": "t",
            "status": "announced", "date": "2025-03-02"}),
        )
        .unwrap();
        let d = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        let stage = |status, date: &str| Stage {
            status,
            date: d(date),
            amount: None,
            note: None,
            sources: Vec::new(),
        };
        c.advance(stage(CommitmentStatus::Committed, "2025-04-01"))
            .unwrap();
        assert_eq!(c.status, CommitmentStatus::Committed);
        assert_eq!(c.stages.len(), 2, "the implied first stage is kept");
        let before = c.clone();
        assert!(c
            .advance(stage(CommitmentStatus::Announced, "2025-05-01"))
            .unwrap_err()
            .contains("cannot go from committed to announced"));
        assert!(c
            .advance(stage(CommitmentStatus::Delivered, "2025-03-15"))
            .unwrap_err()
            .contains("before the stage it follows"));
        assert_eq!(c, before);
    }

    #[test]
    fn stages_map_to_iati_transaction_types_and_kiel_measures() {
        use CommitmentStatus as S;
        assert_eq!(iati_transaction_type(S::Announced, None).unwrap().0, 12);
        assert_eq!(
            iati_transaction_type(S::Allocated, Some(Instrument::Loan))
                .unwrap()
                .0,
            2
        );
        assert_eq!(
            iati_transaction_type(S::Delivered, Some(Instrument::Grant))
                .unwrap()
                .0,
            3
        );
        assert_eq!(
            iati_transaction_type(S::Delivered, Some(Instrument::InKind))
                .unwrap()
                .0,
            4
        );
        assert_eq!(
            iati_transaction_type(S::Committed, Some(Instrument::Guarantee))
                .unwrap()
                .0,
            10
        );
        assert_eq!(iati_transaction_type(S::Cancelled, None), None);
        assert_eq!(kiel_measure(S::Committed), Some("commitment"));
        assert_eq!(kiel_measure(S::Delivered), Some("allocation"));
        assert_eq!(kiel_measure(S::Cancelled), None);
    }

    #[test]
    fn links_and_intermediaries() {
        let v = json!({"id": "B", "kind": "finance", "nation": "DEU", "title": "option",
            "status": "announced", "date": "2025-03-02", "intermediary": "NSPA",
            "links": [{"rel": "option_of", "id": "A"}]});
        let c = parse(&v).unwrap();
        assert_eq!(c.links[0].rel, LinkKind::OptionOf);
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
        let mut own = v.clone();
        own["links"] = json!([{"rel": "related", "id": "B"}]);
        assert!(parse(&own).unwrap_err()[0].contains("cannot link to itself"));
    }
}
