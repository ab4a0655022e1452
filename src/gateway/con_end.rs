//! The plain-text answer several aggregators share (Africa's Talking, operators' own gateways):
//! `CON ` and the screen keeps the session open, `END ` and the screen closes it.

use super::WireResponse;
use super::simulate::Screen;
use crate::engine::Reply;

pub const CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// The body of an answer.
pub fn render_text(text: &str, end: bool) -> String {
    let prefix = if end { "END" } else { "CON" };
    format!("{prefix} {text}")
}

pub fn render(reply: &Reply) -> WireResponse {
    WireResponse {
        content_type: CONTENT_TYPE,
        body: render_text(&reply.text, reply.end),
    }
}

/// A screen as the aggregator reads it.
pub fn read(body: &str) -> Result<Screen, String> {
    let (end, text) = if let Some(text) = body.strip_prefix("CON ") {
        (false, text)
    } else if let Some(text) = body.strip_prefix("END ") {
        (true, text)
    } else {
        return Err(format!("neither CON nor END: {body:?}"));
    };
    Ok(Screen {
        text: text.into(),
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_carry_the_prefix_and_read_back() {
        assert_eq!(render_text("Menu\n1. Bill", false), "CON Menu\n1. Bill");
        assert_eq!(render_text("Bye", true), "END Bye");
        let screen = read("END Bye").unwrap();
        assert_eq!((screen.text.as_str(), screen.end), ("Bye", true));
        assert!(!read("CON Menu").unwrap().end);
        assert!(read("Menu").is_err());
    }
}
