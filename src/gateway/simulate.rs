//! Playing an aggregator's part: the requests it sends dalal and how it reads dalal's screens.
//! `dalal dial --gateway`, `dalal load --gateway` and the end-to-end tests speak each protocol
//! through this, so what they exercise is the wire format a real aggregator uses.

/// One hop of a simulated session, as the aggregator knows it.
#[derive(Debug, Clone, Copy)]
pub struct SimHop<'a> {
    pub session_id: &'a str,
    /// E.164 (`+233244123456`): each gateway writes it the way its aggregator does.
    pub phone: &'a str,
    /// The code dialled (`*123#`).
    pub service_code: &'a str,
    /// Every input so far, the newest last; empty on the hop that opens the session.
    pub inputs: &'a [String],
}

impl SimHop<'_> {
    /// The newest input (empty on the first hop).
    pub fn newest(&self) -> &str {
        self.inputs.last().map(String::as_str).unwrap_or_default()
    }

    /// 1 on the first hop, then one more per input.
    pub fn sequence(&self) -> usize {
        self.inputs.len() + 1
    }
}

/// An HTTP request the aggregator sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    pub path_and_query: String,
    pub content_type: Option<&'static str>,
    pub body: String,
}

impl SimRequest {
    pub fn post(
        path_and_query: impl Into<String>,
        content_type: &'static str,
        body: String,
    ) -> Self {
        SimRequest {
            method: "POST",
            path_and_query: path_and_query.into(),
            content_type: Some(content_type),
            body,
        }
    }

    pub fn json(path_and_query: impl Into<String>, body: serde_json::Value) -> Self {
        SimRequest::post(path_and_query, "application/json", body.to_string())
    }

    pub fn get(path_and_query: impl Into<String>) -> Self {
        SimRequest {
            method: "GET",
            path_and_query: path_and_query.into(),
            content_type: None,
            body: String::new(),
        }
    }
}

/// A screen as the caller's phone shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub text: String,
    /// The session is over (no input expected).
    pub end: bool,
}

/// The aggregator's side of a gateway.
pub trait Simulate {
    /// The request carrying one hop.
    fn hop_request(&self, hop: &SimHop<'_>) -> SimRequest;
    /// The screen in a body dalal sent: the answer to the hop, or for an asynchronous
    /// gateway the body of the request dalal pushed.
    fn read_screen(&self, body: &str) -> Result<Screen, String>;
    /// The notice that the caller left, when the aggregator sends one.
    fn end_request(&self, hop: &SimHop<'_>) -> Option<SimRequest>;
}

/// Where an aggregator finds dalal's screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In the answer to its request.
    InResponse,
    /// In a request dalal sends to the aggregator's outbound URL.
    Pushed,
}

/// A gateway's aggregator side, chosen by name.
pub struct Simulator {
    side: Box<dyn Simulate + Send + Sync>,
    pub delivery: Delivery,
}

impl Simulator {
    pub fn new(side: impl Simulate + Send + Sync + 'static, delivery: Delivery) -> Simulator {
        Simulator {
            side: Box::new(side),
            delivery,
        }
    }
}

impl std::ops::Deref for Simulator {
    type Target = dyn Simulate + Send + Sync;

    fn deref(&self) -> &Self::Target {
        self.side.as_ref()
    }
}
